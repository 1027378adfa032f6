#pragma once

#include <cstdint>
#include <string>

#include "api/api_request.hpp"

namespace faultline::api {

inline constexpr std::int64_t kMaxPageSize = 100;
inline constexpr std::int64_t kDefaultPageSize = 50;

struct Page {
  std::int64_t number = 1;
  std::int64_t size = kDefaultPageSize;
  std::int64_t offset() const { return (number - 1) * size; }
};

// `page` (from 1) and `page_size` (1..100); anything else is a ClientError 400.
Page parse_page(const ApiRequest& request);

// {<leading>"items":<items>,"total":..,"page":..,"page_size":..,"pages":..};
// `leading`, if any, is members that describe the list, each followed by ','.
std::string page_document(const std::string& items_json, std::int64_t total, const Page& page,
                          const std::string& leading = "");

// A positive integer query or path value, or a ClientError 400 naming it.
std::int64_t positive_integer(const std::string& name, const std::string& text);

// The stored id of the path value `name`: the query's `provider` (`github`,
// the default, or `gitlab`) says whose id it is (common/provider_ids.hpp).
std::int64_t provider_id(const ApiRequest& request, const std::string& name);

// "repository 7" for GitHub's, "GitLab repository 7" for GitLab's, in messages.
std::string describe_id(const std::string& what, std::int64_t stored);

// A query parameter that must be one of `allowed` (a null-terminated list);
// "" when absent or empty (any), a ClientError 400 naming it otherwise.
std::string choice_parameter(const ApiRequest& request, const std::string& name,
                             const char* const* allowed);

// The `repository` query parameter: owner/name of at most 255 characters, or
// "" when absent (any); a ClientError 400 otherwise.
std::string repository_parameter(const ApiRequest& request);

// An RFC 3339 date-time query parameter, or "" when absent; a ClientError 400
// naming it when malformed.
std::string timestamp_parameter(const ApiRequest& request, const std::string& name);

}  // namespace faultline::api
