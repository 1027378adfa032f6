#include "common/github_call_log.hpp"

#include <utility>

#include "common/log.hpp"
#include "common/trace_context.hpp"

namespace faultline::github {
namespace {

constexpr const char* kRecord =
    "INSERT INTO github_calls (incident_id, repository_id, purpose, method, path, status,"
    " response_body, error, duration_ms, attempt, trace_id, span_id)"
    " VALUES (NULLIF(:incident::bigint, 0), NULLIF(:repo::bigint, 0), :purpose, :method, :path,"
    " :status, :body, NULLIF(:error, ''), :ms, :attempt, NULLIF(:trace, ''), NULLIF(:span, ''))";

constexpr std::size_t kMaxStoredBody = 64 * 1024;

thread_local CallContext current;

const char* outcome_of(const Call& call) {
  if (call.method == "-")
    return "skipped";
  if (!call.error.empty() || call.status == 0)
    return "unreachable";
  if (call.rate_limited)
    return "rate_limited";
  if (call.status >= 500)
    return "server_error";
  if (call.status >= 400)
    return "refused";
  return "ok";
}

}  // namespace

CallLog::Scope::Scope(std::int64_t incident_id, std::int64_t repository_id, std::string purpose)
    : previous_(
          std::exchange(current, CallContext{incident_id, repository_id, std::move(purpose)})) {}

CallLog::Scope::~Scope() {
  current = std::move(previous_);
}

void CallLog::count(const Call& call) {
  if (!registry_)
    return;
  registry_
      ->counter("faultline_github_calls_total",
                "GitHub calls (each attempt), by purpose and outcome",
                {{"purpose", current.purpose}, {"outcome", outcome_of(call)}})
      .increment();
}

void CallLog::record(const Call& call) {
  count(call);
  try {
    database_.with_session([&](soci::session& sql) {
      const long long incident = current.incident_id, repo = current.repository_id;
      const int status = static_cast<int>(call.status);
      const std::string body = call.response_body.substr(0, kMaxStoredBody);
      const double ms = call.seconds * 1000.0;
      const auto* trace = trace::current();
      const std::string trace_id = trace ? trace->trace_id : "",
                        span_id = trace ? trace->span_id : "";
      sql << kRecord, soci::use(incident, "incident"), soci::use(repo, "repo"),
          soci::use(current.purpose, "purpose"), soci::use(call.method, "method"),
          soci::use(call.path, "path"), soci::use(status, "status"), soci::use(body, "body"),
          soci::use(call.error, "error"), soci::use(ms, "ms"), soci::use(call.attempt, "attempt"),
          soci::use(trace_id, "trace"), soci::use(span_id, "span");
    });
  } catch (const std::exception& e) {
    // The call itself went ahead; losing its record must not undo it.
    log::error("cannot record a GitHub call", {{"path", call.path}, {"error", e.what()}});
  }
}

void CallLog::skipped(const std::string& reason) {
  record(Call{"-", "(not called)", 0, "", 0, 0, reason});
}

}  // namespace faultline::github
