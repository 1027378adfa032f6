#include "api/conditional.hpp"

#include "common/crypto.hpp"
#include "common/problem.hpp"

namespace faultline::api {
namespace {

// Whether a comma-separated list of entity tags names `etag`. Weak
// comparison for If-None-Match (a W/ prefix is ignored), strong for If-Match.
bool lists(std::string_view list, const std::string& etag, bool weak) {
  std::size_t start = 0;
  while (start < list.size()) {
    auto end = list.find(',', start);
    if (end == std::string_view::npos)
      end = list.size();
    auto item = list.substr(start, end - start);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t'))
      item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t'))
      item.remove_suffix(1);
    if (item == "*")
      return true;
    if (item.rfind("W/", 0) == 0) {
      if (weak && item.substr(2) == etag)
        return true;
    } else if (item == etag) {
      return true;
    }
    start = end + 1;
  }
  return false;
}

}  // namespace

std::string etag_of(std::string_view body) {
  const auto hex = crypto::to_hex(crypto::sha256(body));
  std::string tag(1, '"');
  tag.append(hex, 0, 32);
  tag.push_back('"');
  return tag;
}

http::Reply tagged_reply(int status, std::string body) {
  auto etag = etag_of(body);
  auto reply = http::json_reply(status, std::move(body));
  reply.headers.emplace_back("ETag", std::move(etag));
  return reply;
}

bool none_match_fails(const ApiRequest& request, const std::string& etag) {
  const auto header = request.headers.find("if-none-match");
  return header != request.headers.end() && none_match_fails(header->second, etag);
}

bool none_match_fails(std::string_view if_none_match, const std::string& etag) {
  return lists(if_none_match, etag, true);
}

void require_if_match(const ApiRequest& request, std::string_view current_body) {
  const auto header = request.headers.find("if-match");
  if (header == request.headers.end())
    return;
  if (!lists(header->second, etag_of(current_body), false))
    throw ClientError(Problem{412,
                              "Precondition Failed",
                              "The item changed since you read it (If-Match does not match its "
                              "ETag); read it again and retry.",
                              "precondition-failed",
                              {}});
}

}  // namespace faultline::api
