#include "api/content/csp_reports.hpp"

#include <set>

#include "common/json.hpp"
#include "common/problem.hpp"

namespace faultline::api {
namespace {

// Metric labels come from this list only, so a hostile sender cannot grow
// the metric's series without bound.
const std::set<std::string, std::less<>> kDirectives = {
    "base-uri",    "child-src",       "connect-src",    "default-src",     "font-src",
    "form-action", "frame-ancestors", "frame-src",      "img-src",         "manifest-src",
    "media-src",   "object-src",      "script-src",     "script-src-attr", "script-src-elem",
    "style-src",   "style-src-attr",  "style-src-elem", "worker-src"};

std::string directive_label(const json::Value& report, const char* effective,
                            const char* violated) {
  auto name = json::string_member(report, effective);
  if (!name)
    name = json::string_member(report, violated);
  if (!name)
    return "unknown";
  // "script-src 'self'" in older browsers' violated-directive.
  const auto first = name->substr(0, name->find(' '));
  return kDirectives.count(first) ? std::string(first) : "other";
}

[[noreturn]] void not_a_report(const std::string& why) {
  throw ClientError(bad_request("This is not a CSP report: " + why, "invalid-csp-report"));
}

}  // namespace

std::vector<CspReport> parse_csp_reports(const ApiRequest& request) {
  if (request.body.size() > kMaxCspReportBytes)
    throw ClientError(Problem{
        413,
        "Content Too Large",
        "A CSP report may be at most " + std::to_string(kMaxCspReportBytes / 1024) + " KiB.",
        "payload-too-large",
        {}});
  const auto header = request.headers.find("content-type");
  const std::string type = header == request.headers.end() ? "" : header->second;
  const bool legacy = type.rfind("application/csp-report", 0) == 0;
  const bool reporting = type.rfind("application/reports+json", 0) == 0;
  if (!legacy && !reporting)
    throw ClientError(Problem{415,
                              "Unsupported Media Type",
                              "Send application/csp-report or application/reports+json.",
                              "unsupported-media-type",
                              {}});
  json::Document document;
  try {
    document = json::parse(request.body);
  } catch (const json::ParseError& e) {
    not_a_report(e.what());
  }

  // PostgreSQL's jsonb cannot hold U+0000; no browser sends it.
  if (request.body.find("\\u0000") != std::string::npos)
    not_a_report("a report may not hold NUL characters.");
  std::vector<CspReport> reports;
  if (legacy) {
    const auto* report = json::object_member(document, "csp-report");
    if (!report)
      not_a_report("expected an object with a \"csp-report\" object.");
    reports.push_back(
        CspReport{json::serialize(*report),
                  directive_label(*report, "effective-directive", "violated-directive")});
    return reports;
  }
  if (!document.IsArray() || document.Empty())
    not_a_report("expected a non-empty array of reports.");
  if (document.Size() > kMaxCspReportsPerRequest)
    not_a_report("at most " + std::to_string(kMaxCspReportsPerRequest) + " reports at once.");
  for (const auto& item : document.GetArray()) {
    const auto report_type = json::string_member(item, "type");
    const auto* body = json::object_member(item, "body");
    if (!report_type || !body)
      not_a_report("each report needs a \"type\" and a \"body\" object.");
    if (*report_type != "csp-violation")
      continue;  // other report types may share the endpoint; not ours to keep
    reports.push_back(CspReport{json::serialize(*body),
                                directive_label(*body, "effectiveDirective", "violatedDirective")});
  }
  return reports;
}

void store_csp_reports(soci::session& sql, const std::vector<CspReport>& reports,
                       const std::string& user_agent) {
  if (reports.empty())
    return;
  // One statement for the whole request, however many reports it carries.
  std::string array = "[";
  for (const auto& report : reports)
    array += (array.size() > 1 ? "," : "") + report.json;
  array += "]";
  sql << "INSERT INTO csp_reports (report, user_agent)"
         " SELECT value, :agent FROM jsonb_array_elements(CAST(:reports AS jsonb))",
      soci::use(user_agent, "agent"), soci::use(array, "reports");
}

}  // namespace faultline::api
