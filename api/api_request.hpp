#pragma once

#include <map>
#include <optional>
#include <string>

namespace faultline::api {

// What a handler's logic may look at, copied off Pistache's request so it can
// cross to a worker thread.
struct ApiRequest {
  std::string method;
  std::string path;
  std::map<std::string, std::string> params;   // route parameters, without ':'
  std::map<std::string, std::string> query;    // decoded; the last value of a repeated key wins
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;

  std::optional<std::string> query_value(const std::string& key) const;
};

// Percent-decoding of a query component ('+' is a space); nullopt if malformed.
std::optional<std::string> url_decode(const std::string& text);

}  // namespace faultline::api
