#pragma once

// Conditional requests (RFC 9110 §13): entity tags computed from the JSON a
// GET returns, If-None-Match for reads and If-Match for writes.

#include <string>
#include <string_view>

#include "api/api_request.hpp"
#include "common/http.hpp"

namespace faultline::api {

// A strong tag of the representation: a quoted prefix of its SHA-256.
std::string etag_of(std::string_view body);

// A 200 (or `status`) JSON reply carrying the ETag of its body, for answers
// to writes, so a client can send If-Match next without reading again.
http::Reply tagged_reply(int status, std::string body);

// True when If-None-Match names `etag` (or is "*"): answer 304.
bool none_match_fails(const ApiRequest& request, const std::string& etag);
// The same for the header's value itself (empty when absent).
bool none_match_fails(std::string_view if_none_match, const std::string& etag);

// Throws ClientError 412 unless If-Match is absent, "*", or names the tag of
// `current_body` (the item as GET would return it).
void require_if_match(const ApiRequest& request, std::string_view current_body);

}  // namespace faultline::api
