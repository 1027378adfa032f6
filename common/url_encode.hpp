#pragma once

#include <string>
#include <string_view>

namespace faultline {

// Percent-encoding of a query component or path segment: all but RFC 3986's
// unreserved characters.
std::string url_encode(std::string_view text);

// A path of segments (`src/app/main.c`), each percent-encoded, the slashes kept.
std::string url_encode_path(std::string_view path);

}  // namespace faultline
