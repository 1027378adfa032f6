#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "api/auth/principal.hpp"
#include "common/url_encode.hpp"

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
  std::string client_ip;   // the peer's address
  std::string request_id;  // see request_id_of(); echoed as X-Request-Id
  // Set by the route table on every route that is not public.
  std::optional<auth::Principal> principal;

  std::optional<std::string> query_value(const std::string& key) const;
  // A header's value; `name` lower-case.
  std::optional<std::string_view> header(const std::string& name) const;
  // The authenticated caller; only on routes that require one.
  const auth::Principal& user() const;
  // The User-Agent as it may be stored: printable ASCII only, at most 512
  // bytes (a header may carry any bytes; PostgreSQL text takes only UTF-8).
  std::string user_agent() const;
};

// The id a request is known by in the audit log and its answer's
// X-Request-Id: the client's own X-Request-Id when it is 1-64 characters of
// [A-Za-z0-9._:-], else 32 random hex digits.
std::string request_id_of(const std::map<std::string, std::string>& headers);

// Printable ASCII only (other bytes dropped), at most `max_bytes`: how text
// from outside is stored where it must not forge lines or break UTF-8.
std::string printable_ascii(std::string_view text, std::size_t max_bytes);

using ::faultline::url_encode;

// Percent-decoding of a query component ('+' is a space); nullopt if malformed.
std::optional<std::string> url_decode(const std::string& text);

// An application/x-www-form-urlencoded body; nullopt if malformed or if a
// name repeats (RFC 6749 §3.2: parameters must not be included more than once).
std::optional<std::map<std::string, std::string>> parse_form(const std::string& body);

}  // namespace faultline::api
