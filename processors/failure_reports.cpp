#include "processors/failure_reports.hpp"

#include <algorithm>

#include "common/json.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "processors/failure_context.hpp"
#include "processors/failure_rules.hpp"
#include "processors/failure_signature.hpp"
#include "processors/job_failures.hpp"

namespace faultline::processors {
namespace {

constexpr std::size_t kMaxJobs = 3;

// A fence longer than any run of backticks inside, so no line can close it.
std::string fence_for(const json::Value& lines) {
  std::size_t longest = 0;
  for (const auto& line : lines.GetArray()) {
    std::size_t run = 0;
    for (const char c : std::string_view(line.GetString(), line.GetStringLength())) {
      run = c == '`' ? run + 1 : 0;
      longest = std::max(longest, run);
    }
  }
  return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

std::optional<std::string> get(github::Client& client, const std::string& token,
                               github::Request request, const char* what) {
  request.authorization = "Bearer " + token;
  try {
    auto response = client.send(request);
    if (response.status == 200)
      return std::move(response.body);
    log::warn("no failure context", {{"what", what}, {"status", response.status}});
  } catch (const github::GitHubError& e) {
    log::warn("no failure context", {{"what", what}, {"error", e.what()}});
  }
  return std::nullopt;
}

}  // namespace

std::string FailureReports::collect(soci::session& sql, std::int64_t incident_id,
                                    std::int64_t repository_id, const std::string& repository,
                                    std::int64_t run_id, const std::string& token) {
  const long long incident = incident_id, run = run_id;
  long long stored_run = 0;
  std::string stored;
  sql << "SELECT run_id, context::text FROM incident_failure_contexts WHERE incident_id = :id",
      soci::use(incident, "id"), soci::into(stored_run), soci::into(stored);
  if (sql.got_data() && stored_run == run)
    return markdown(sql, stored);

  const auto context = fetch(repository, run_id, token);
  if (context.empty())
    return "";
  sql << "INSERT INTO incident_failure_contexts (incident_id, run_id, context)"
         " VALUES (:id, :run, :context::jsonb) ON CONFLICT (incident_id) DO UPDATE"
         " SET run_id = excluded.run_id, context = excluded.context, fetched_at = now()",
      soci::use(incident, "id"), soci::use(run, "run"), soci::use(context, "context");
  record_job_failures(sql, incident_id, repository_id, context);
  return markdown(sql, context);
}

std::string FailureReports::fetch(const std::string& repository, std::int64_t run_id,
                                  const std::string& token) {
  github::Request listing;
  listing.url = "/repos/" + repository + "/actions/runs/" + std::to_string(run_id) +
                "/jobs?filter=latest&per_page=100";
  const auto jobs_body = get(client_, token, listing, "jobs");
  if (!jobs_body)
    return "";
  const auto jobs = json::parse(*jobs_body);
  const auto* list = json::member(jobs, "jobs");
  if (!list || !list->IsArray())
    return "";

  std::size_t reported = 0;
  const auto document = json::object([&](json::Writer& out) {
    out.Key("run_id");
    out.Int64(run_id);
    out.Key("jobs");
    out.StartArray();
    for (const auto& job : list->GetArray()) {
      if (json::string_member(job, "conclusion") != std::string_view("failure") ||
          reported == kMaxJobs)
        continue;
      ++reported;
      std::string step, step_started;
      if (const auto* steps = json::member(job, "steps"); steps && steps->IsArray())
        for (const auto& s : steps->GetArray())
          if (step.empty() && json::string_member(s, "conclusion") == std::string_view("failure")) {
            step = std::string(json::string_member(s, "name").value_or(""));
            step_started =
                utc_seconds(json::string_member(s, "started_at").value_or("")).value_or("");
          }
      const auto job_id = json::integer_member(job, "id").value_or(0);

      github::Request logs;
      logs.url = "/repos/" + repository + "/actions/jobs/" + std::to_string(job_id) + "/logs";
      logs.follow_redirects = true;
      logs.record_response = false;  // megabytes; the excerpt is what is kept
      const auto log_text = get(client_, token, logs, "job log");
      FailureExcerpt excerpt;
      excerpt.step = step;
      if (log_text)
        excerpt = extract_failure(*log_text, step, {}, step_started);

      out.StartObject();
      out.Key("id");
      out.Int64(job_id);
      out.Key("name");
      json::write(out, json::string_member(job, "name"));
      out.Key("html_url");
      json::write(out, json::string_member(job, "html_url"));
      out.Key("step");
      json::write(out, excerpt.step);
      out.Key("lines");
      out.StartArray();
      for (const auto& line : excerpt.lines)
        json::write(out, line);
      out.EndArray();
      out.Key("truncated");
      out.Bool(excerpt.truncated);
      out.Key("completed_at");
      json::write(out, json::string_member(job, "completed_at"));
      if (!excerpt.lines.empty()) {
        const auto signed_failure = sign_failure(excerpt, repository, FailureRules::standard());
        out.Key("command");
        json::write(out, excerpt.command);
        out.Key("signature");
        json::write(out, signed_failure.signature);
        out.Key("category");
        json::write(out, signed_failure.category);
        out.Key("normalized_error");
        json::write(out, signed_failure.normalized_error);
        out.Key("first_line");
        json::write(out, signed_failure.first_line);
      }
      out.Key("log_available");
      out.Bool(log_text.has_value());
      out.EndObject();
    }
    out.EndArray();
  });
  return reported ? document : "";
}

std::string FailureReports::markdown(soci::session& sql, const std::string& context_json) {
  const auto context = json::parse(context_json);
  const auto* jobs = json::member(context, "jobs");
  if (!jobs || !jobs->IsArray() || jobs->Empty())
    return "";
  std::string text = "\n### Where it failed\n";
  for (const auto& job : jobs->GetArray()) {
    const std::string name(json::string_member(job, "name").value_or("job"));
    const std::string step(json::string_member(job, "step").value_or(""));
    const std::string url(json::string_member(job, "html_url").value_or(""));
    text += "\n**" + (url.empty() ? name : "[" + name + "](" + url + ")") + "**";
    if (!step.empty())
      text += " — step `" + step + "`";
    text += "\n";
    if (const auto category = json::string_member(job, "category")) {
      const std::string signature(json::string_member(job, "signature").value_or(""));
      const auto history = signature_history(sql, signature);
      text += "\nCause: `" + std::string(*category) + "` (signature `" + signature + "`" +
              (history.empty() ? "" : ", " + history) + ")\n";
    }
    const auto& lines = job["lines"];
    if (lines.Empty()) {
      text += "\n(The log is no longer available.)\n";
      continue;
    }
    const auto fence = fence_for(lines);
    text += "\n" + fence + "text\n";
    for (const auto& line : lines.GetArray())
      text += std::string(line.GetString(), line.GetStringLength()) + "\n";
    text += fence + "\n";
  }
  return text;
}

}  // namespace faultline::processors
