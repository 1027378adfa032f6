#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "api/auth/principal.hpp"

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
  std::string client_ip;  // the peer's address
  // Set by the route table on every route that is not public.
  std::optional<auth::Principal> principal;

  std::optional<std::string> query_value(const std::string& key) const;
  // The authenticated caller; only on routes that require one.
  const auth::Principal& user() const;
  // The User-Agent as it may be stored: printable ASCII only, at most 512
  // bytes (a header may carry any bytes; PostgreSQL text takes only UTF-8).
  std::string user_agent() const;
};

// Percent-encoding of a query component: all but RFC 3986's unreserved characters.
std::string url_encode(std::string_view text);

// Percent-decoding of a query component ('+' is a space); nullopt if malformed.
std::optional<std::string> url_decode(const std::string& text);

// An application/x-www-form-urlencoded body; nullopt if malformed or if a
// name repeats (RFC 6749 §3.2: parameters must not be included more than once).
std::optional<std::map<std::string, std::string>> parse_form(const std::string& body);

}  // namespace faultline::api
