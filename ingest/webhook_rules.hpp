#pragma once

// The rules every webhook endpoint answers by (GitHub's and GitLab's), so
// each refuses the same way with the same problem bodies.

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "common/http.hpp"
#include "common/json.hpp"

namespace faultline::ingest {

// 413: the body is over `max_body_bytes`.
http::Reply payload_too_large(std::size_t max_body_bytes);

// 401 of kind `kind` (invalid-signature, invalid-token).
http::Reply unauthorized(std::string detail, const char* kind = "invalid-signature");

// 400: a header the endpoint needs is missing or malformed.
http::Reply missing_header(std::string detail);

// 400: the body does not hold the event its headers name; `why` is the
// EventError's message.
http::Reply invalid_payload(std::string_view event, std::string_view why);

// 1 to 128 printable ASCII characters: what a delivery id may be.
bool valid_delivery_id(std::string_view id);

// The body as JSON, or the 400 saying why it is not.
std::variant<json::Document, http::Reply> parse_body(std::string_view body);

}  // namespace faultline::ingest
