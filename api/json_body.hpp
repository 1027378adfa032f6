#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "api/api_request.hpp"
#include "common/json.hpp"

namespace faultline::api {

// The request's body as a JSON object: 415 unless it says application/json,
// 400 (naming the problem) unless it is one object of valid UTF-8.
json::Document json_body(const ApiRequest& request);

// A text member of a body. Absent: nullopt. Present but not a string, empty
// (when min_chars > 0), longer than max_chars code points, or holding a NUL
// or another control character other than tab and newlines: 422 naming it.
std::optional<std::string> text_member(const json::Value& body, const char* key,
                                       std::size_t min_chars, std::size_t max_chars);
// The same, but absent is a 422 too.
std::string required_text(const json::Value& body, const char* key, std::size_t min_chars,
                          std::size_t max_chars);

// A member that must be one of `allowed` (a null-terminated list), or absent.
std::optional<std::string> choice_member(const json::Value& body, const char* key,
                                         const char* const* allowed);

// A 422 unless the body names at least one of the members it could change.
void require_any_member(const json::Value& body, std::initializer_list<const char*> keys);

}  // namespace faultline::api
