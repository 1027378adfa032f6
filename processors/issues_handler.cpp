#include "processors/issues_handler.hpp"

#include "common/incident_outbox.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/trace_context.hpp"

namespace faultline::processors {

struct IssuesHandler::Incident {
  long long id = 0;
  long long repository_id = 0;
  std::string repository;  // owner/name
  std::string workflow;
  std::string branch;
  long long occurrences = 0;
  long long run_id = 0;    // the run that caused the event, 0 if none
  std::string resolution;  // "run_succeeded", "flaky", "manual" once resolved
};

namespace {

constexpr const char* kLabel = "faultline";

constexpr const char* kOpenIssues = "SELECT open_issues::int FROM repositories WHERE id = :id";
constexpr const char* kLinkedIssue =
    "SELECT issue_number FROM incident_issues WHERE incident_id = :id";
constexpr const char* kLink =
    "INSERT INTO incident_issues (incident_id, repository_id, issue_number, html_url)"
    " VALUES (:id, :repo, :number, :url) ON CONFLICT (incident_id) DO NOTHING";
constexpr const char* kClosed = "UPDATE incident_issues SET closed = true WHERE incident_id = :id";
constexpr const char* kFailingRuns =
    "SELECT run_id, COALESCE(html_url, ''), conclusion FROM incident_runs"
    " WHERE incident_id = :id AND role = 'failure' ORDER BY recorded_at, run_id LIMIT 20";

std::string body_text(soci::session& sql, long long incident_id, const std::string& workflow,
                      const std::string& branch, const std::string& repository,
                      const std::string& failure_context) {
  std::string body = "Faultline opened this issue because **" + workflow + "** is failing on `" +
                     branch + "` in " + repository + ".\n\nFailing runs:\n";
  soci::rowset<soci::row> runs = (sql.prepare << kFailingRuns, soci::use(incident_id, "id"));
  for (const auto& r : runs) {
    const auto run_id = std::to_string(r.get<long long>(0));
    const auto url = r.get<std::string>(1);
    body += "- " + (url.empty() ? "run " + run_id : "[run " + run_id + "](" + url + ")") + " — " +
            r.get<std::string>(2) + "\n";
  }
  body += failure_context;
  body += "\nIt will be closed when the workflow succeeds on this branch again.\n\n" +
          incident_marker(incident_id) + "\n";
  return body;
}

bool transient(long status) {
  return status == 0 || status >= 500 || status == 403 || status == 429;
}

// Throws RetryLater for what may pass (GitHub down, rate limits outlasting our
// patience); returns false for a refusal that will not (404, 410, 422).
bool accepted(const github::Response& response, const char* what) {
  if (response.status >= 200 && response.status < 300)
    return true;
  if (transient(response.status))
    throw RetryLater(std::string(what) + ": GitHub answered " + std::to_string(response.status));
  log::warn("GitHub refused",
            {{"what", what}, {"status", static_cast<std::int64_t>(response.status)}});
  return false;
}

}  // namespace

std::string incident_marker(std::int64_t incident_id) {
  return "<!-- faultline-incident:" + std::to_string(incident_id) + " -->";
}

IssuesHandler::IssuesHandler(github::Client& client, github::CallLog& calls,
                             const RepositoryTokens& tokens)
    : client_(client), calls_(calls), tokens_(tokens), reports_(client) {}

std::vector<Rejection> IssuesHandler::apply(soci::session& sql,
                                            const std::vector<kafka::Message>& batch) {
  std::vector<Rejection> rejections;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    // The incident change's trace goes on to GitHub and into the call log.
    const trace::Scope traced(trace::continue_from(batch[i]));
    Incident incident;
    std::string type;
    try {
      const auto event = json::parse(batch[i].value());
      const auto* data = json::object_member(event, "incident");
      const auto parsed_type = json::string_member(event, "type");
      if (!data || !parsed_type)
        throw json::ParseError("not an incident event");
      type = std::string(*parsed_type);
      incident.id = json::integer_member(*data, "id").value_or(0);
      incident.repository_id = json::integer_member(*data, "repository_id").value_or(0);
      incident.repository = std::string(json::string_member(*data, "repository").value_or(""));
      incident.workflow =
          std::string(json::string_member(*data, "workflow_name")
                          .value_or(json::string_member(*data, "workflow_key").value_or("")));
      incident.branch = std::string(json::string_member(*data, "branch").value_or(""));
      incident.occurrences = json::integer_member(*data, "occurrences").value_or(0);
      incident.run_id = json::integer_member(event, "run_id").value_or(0);
      incident.resolution = std::string(json::string_member(*data, "resolution").value_or(""));
      if (incident.id <= 0 || incident.repository.find('/') == std::string::npos)
        throw json::ParseError("incident id or repository missing");
      // GitLab's incidents get GitLab issues, which GitHub's client cannot open.
      if (json::string_member(*data, "provider").value_or("github") != "github")
        continue;
    } catch (const json::ParseError& e) {
      rejections.push_back({i, e.what()});
      continue;
    }
    const github::CallLog::Scope purpose(incident.id, incident.repository_id, type);
    try {
      handle(sql, type, incident);
    } catch (const github::GitHubError& e) {
      if (transient(e.status()))
        throw RetryLater(e.what());
      log::warn("GitHub refused; moving on",
                {{"incident_id", static_cast<std::int64_t>(incident.id)}, {"error", e.what()}});
    }
  }
  return rejections;
}

void IssuesHandler::handle(soci::session& sql, const std::string& type, const Incident& incident) {
  if (type == "issue_linked")
    return;  // our own doing
  const auto token = token_for(sql, incident);
  if (!token)
    return;
  const std::string issues = "/repos/" + incident.repository + "/issues";

  if (type == "opened") {
    find_or_create_issue(sql, incident, *token, true);
  } else if (type == "recurred") {
    const auto number = find_or_create_issue(sql, incident, *token, true);
    if (!number)
      return;
    const auto body = json::object([&](json::Writer& out) {
      out.Key("body");
      json::write(out, "Failed again" +
                           (incident.run_id ? " in run " + std::to_string(incident.run_id) : "") +
                           " (" + std::to_string(incident.occurrences) + " failures so far).\n" +
                           failure_context(sql, incident, *token));
    });
    accepted(
        client_.request(*token, "POST", issues + "/" + std::to_string(*number) + "/comments", body),
        "comment");
  } else if (type == "resolved" || type == "acknowledged") {
    const auto number = find_or_create_issue(sql, incident, *token, false);
    if (!number)
      return;
    const bool resolved = type == "resolved";
    const auto comment = json::object([&](json::Writer& out) {
      out.Key("body");
      const std::string by =
          incident.run_id ? " by run " + std::to_string(incident.run_id) : std::string();
      json::write(out, !resolved ? std::string("Acknowledged in Faultline.")
                       : incident.resolution == "flaky"
                           ? "Resolved" + by +
                                 ": it passed on a re-run of the same commit, so this failure "
                                 "was flaky."
                           : "Resolved" + by + ": the workflow succeeds on this branch again.");
    });
    const auto path = issues + "/" + std::to_string(*number);
    accepted(client_.request(*token, "POST", path + "/comments", comment), "comment");
    if (resolved && accepted(client_.request(*token, "PATCH", path,
                                             R"({"state":"closed","state_reason":"completed"})"),
                             "close")) {
      sql << kClosed, soci::use(incident.id, "id");
    }
  }
}

std::optional<std::string> IssuesHandler::token_for(soci::session& sql, const Incident& incident) {
  int open_issues = 1;
  sql << kOpenIssues, soci::use(incident.repository_id, "id"), soci::into(open_issues);
  if (sql.got_data() && !open_issues) {
    calls_.skipped("issues are turned off for " + incident.repository);
    return std::nullopt;
  }
  if (auto found = tokens_.find(sql, incident.repository_id))
    return std::move(found->token);
  calls_.skipped("no token for " + incident.repository + " and no FAULTLINE_GITHUB_TOKEN");
  return std::nullopt;
}

std::optional<std::int64_t> IssuesHandler::find_or_create_issue(soci::session& sql,
                                                                const Incident& incident,
                                                                const std::string& token,
                                                                bool create) {
  long long number = 0;
  sql << kLinkedIssue, soci::use(incident.id, "id"), soci::into(number);
  if (sql.got_data())
    return number;

  // An issue made just before a crash carries the marker: find it rather than make another.
  const std::string marker = incident_marker(incident.id);
  for (const auto& page :
       client_.get_pages(token, "/repos/" + incident.repository + "/issues?labels=" + kLabel +
                                    "&state=all&per_page=100")) {
    const auto issues = json::parse(page);
    if (!issues.IsArray())
      continue;
    for (const auto& issue : issues.GetArray()) {
      const auto body = json::string_member(issue, "body");
      if (!body || body->find(marker) == std::string_view::npos)
        continue;
      number = json::integer_member(issue, "number").value_or(0);
      const std::string url(json::string_member(issue, "html_url").value_or(""));
      sql << kLink, soci::use(incident.id, "id"), soci::use(incident.repository_id, "repo"),
          soci::use(number, "number"), soci::use(url, "url");
      enqueue_incident_event(sql, incident.id, IncidentEvent::kIssueLinked, 0);
      return number;
    }
  }
  if (!create)
    return std::nullopt;
  const auto made = create_issue(sql, incident, token);
  if (made == 0)
    return std::nullopt;
  return made;
}

std::int64_t IssuesHandler::create_issue(soci::session& sql, const Incident& incident,
                                         const std::string& token) {
  const auto request = json::object([&](json::Writer& out) {
    out.Key("title");
    json::write(out, "CI failing: " + incident.workflow + " on " + incident.branch + " in " +
                         incident.repository);
    out.Key("body");
    json::write(out, body_text(sql, incident.id, incident.workflow, incident.branch,
                               incident.repository, failure_context(sql, incident, token)));
    out.Key("labels");
    out.StartArray();
    out.String(kLabel);
    out.EndArray();
  });
  const auto response =
      client_.request(token, "POST", "/repos/" + incident.repository + "/issues", request);
  if (!accepted(response, "create issue"))
    return 0;
  const auto created = json::parse(response.body);
  const long long number = json::integer_member(created, "number").value_or(0);
  const std::string url(json::string_member(created, "html_url").value_or(""));
  sql << kLink, soci::use(incident.id, "id"), soci::use(incident.repository_id, "repo"),
      soci::use(number, "number"), soci::use(url, "url");
  enqueue_incident_event(sql, incident.id, IncidentEvent::kIssueLinked, 0);
  log::info("opened a GitHub issue", {{"incident_id", static_cast<std::int64_t>(incident.id)},
                                      {"repository", incident.repository},
                                      {"issue", static_cast<std::int64_t>(number)}});
  return number;
}

std::string IssuesHandler::failure_context(soci::session& sql, const Incident& incident,
                                           const std::string& token) {
  long long run_id = incident.run_id;
  if (run_id == 0)
    sql << "SELECT last_failed_run_id FROM incidents WHERE id = :id", soci::use(incident.id, "id"),
        soci::into(run_id);
  if (run_id == 0)
    return "";
  return reports_.collect(sql, incident.id, incident.repository_id, incident.repository, run_id,
                          token);
}

}  // namespace faultline::processors
