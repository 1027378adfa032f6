#include "api/pagination.hpp"

#include <charconv>

#include "common/problem.hpp"
#include "common/provider_ids.hpp"
#include "common/time.hpp"

namespace faultline::api {

std::int64_t positive_integer(const std::string& name, const std::string& text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 1)
    throw ClientError(bad_request(name + " must be a positive integer.", "invalid-parameter"));
  return value;
}

std::int64_t provider_id(const ApiRequest& request, const std::string& name) {
  static constexpr const char* kProviders[] = {"github", "gitlab", nullptr};
  const auto own = positive_integer(name, request.params.at(name));
  const auto provider = choice_parameter(request, "provider", kProviders) == "gitlab"
                            ? Provider::gitlab
                            : Provider::github;
  return stored_id(provider, own);
}

std::string describe_id(const std::string& what, std::int64_t stored) {
  const auto text = what + " " + std::to_string(own_id(stored));
  return provider_of(stored) == Provider::gitlab ? "GitLab " + text : text;
}

std::string choice_parameter(const ApiRequest& request, const std::string& name,
                             const char* const* allowed) {
  auto value = request.query_value(name).value_or("");
  if (value.empty())
    return value;
  for (auto* option = allowed; *option; ++option)
    if (value == *option)
      return value;
  throw ClientError(bad_request(name + " is not a known value.", "invalid-parameter"));
}

std::string repository_parameter(const ApiRequest& request) {
  auto repository = request.query_value("repository").value_or("");
  if (repository.size() > 255 || (!repository.empty() && repository.find('/') == std::string::npos))
    throw ClientError(bad_request("repository must be owner/name.", "invalid-parameter"));
  return repository;
}

std::string timestamp_parameter(const ApiRequest& request, const std::string& name) {
  const auto value = request.query_value(name);
  if (!value)
    return "";
  if (!is_rfc3339(*value))
    throw ClientError(bad_request(name + " must be an RFC 3339 date-time such as "
                                         "2026-11-23T10:00:00Z.",
                                  "invalid-parameter"));
  // Moved to UTC: RFC 3339 allows offsets up to 23:59, PostgreSQL only to 15:59.
  auto utc = utc_seconds(*value).value_or("");
  if (utc.empty() || utc.compare(0, 4, "0000") == 0)
    throw ClientError(bad_request(name + " is before the year 1 in UTC.", "invalid-parameter"));
  if (value->size() > 19 && (*value)[19] == '.')
    utc.append(*value, 19, value->find_first_not_of("0123456789", 20) - 19);
  utc.push_back('Z');
  return utc;
}

Page parse_page(const ApiRequest& request) {
  Page page;
  if (const auto raw = request.query_value("page"))
    page.number = positive_integer("page", *raw);
  if (const auto raw = request.query_value("page_size")) {
    page.size = positive_integer("page_size", *raw);
    if (page.size > kMaxPageSize)
      throw ClientError(bad_request(
          "page_size must be at most " + std::to_string(kMaxPageSize) + ".", "invalid-parameter"));
  }
  if (page.number > 1'000'000)
    throw ClientError(bad_request("page is too large.", "invalid-parameter"));
  return page;
}

std::string page_document(const std::string& items_json, std::int64_t total, const Page& page,
                          const std::string& leading) {
  const std::int64_t pages = total == 0 ? 0 : (total + page.size - 1) / page.size;
  return "{" + leading + "\"items\":" + items_json + ",\"total\":" + std::to_string(total) +
         ",\"page\":" + std::to_string(page.number) +
         ",\"page_size\":" + std::to_string(page.size) + ",\"pages\":" + std::to_string(pages) +
         "}";
}

}  // namespace faultline::api
