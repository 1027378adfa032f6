#include "api/github/github_problems.hpp"

#include "common/json.hpp"

namespace faultline::api {

std::string github_message(const github::Response& response) {
  std::string text = "GitHub answered " + std::to_string(response.status);
  try {
    const auto body = json::parse(response.body);
    if (const auto message = json::string_member(body, "message"))
      text += ": " + std::string(message->substr(0, 300));
  } catch (const json::ParseError&) {
  }
  return text + ".";
}

}  // namespace faultline::api
