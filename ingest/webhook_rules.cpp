#include "ingest/webhook_rules.hpp"

namespace faultline::ingest {

http::Reply payload_too_large(std::size_t max_body_bytes) {
  return http::problem_reply(
      Problem{413,
              "Payload Too Large",
              "The body is larger than " + std::to_string(max_body_bytes) + " bytes.",
              "payload-too-large",
              {}});
}

http::Reply unauthorized(std::string detail, const char* kind) {
  return http::problem_reply(Problem{401, "Unauthorized", std::move(detail), kind, {}});
}

http::Reply missing_header(std::string detail) {
  return http::problem_reply(bad_request(std::move(detail), "missing-header"));
}

http::Reply invalid_payload(std::string_view event, std::string_view why) {
  return http::problem_reply(bad_request(
      "The payload is not a valid " + std::string(event) + " event: " + std::string(why) + ".",
      "invalid-payload"));
}

bool valid_delivery_id(std::string_view id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e)
      return false;
  return true;
}

std::variant<json::Document, http::Reply> parse_body(std::string_view body) {
  try {
    return json::parse(body);
  } catch (const json::ParseError& e) {
    return http::problem_reply(
        bad_request(std::string("The body is not JSON: ") + e.what() + ".", "invalid-json"));
  }
}

}  // namespace faultline::ingest
