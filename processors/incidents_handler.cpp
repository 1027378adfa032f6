#include "processors/incidents_handler.hpp"

#include <set>

#include "common/events.hpp"
#include "common/incident_outbox.hpp"
#include "common/json.hpp"
#include "common/topics.hpp"

namespace faultline::processors {
namespace {

// Serializes every change to one workflow + branch of one repository, across
// all processors, for the rest of the transaction.
constexpr const char* kLockKey = "SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))";

constexpr const char* kEnsureRepository =
    "INSERT INTO repositories (id, full_name) VALUES (:id, :name) ON CONFLICT (id) DO NOTHING";

constexpr const char* kAlreadyCounted =
    "SELECT count(*) FROM incident_runs"
    " WHERE repository_id = :repo AND run_id = :run AND run_attempt = :attempt";

// A failure older than the success that resolved this key is history, not news.
constexpr const char* kSupersededFailure =
    "SELECT count(*) FROM incidents WHERE repository_id = :repo AND workflow_key = :wf"
    " AND branch = :branch AND state = 'resolved'"
    " AND resolved_by_run_created_at > :created::timestamptz";

constexpr const char* kOpenIncident =
    "SELECT id FROM incidents WHERE repository_id = :repo AND workflow_key = :wf"
    " AND branch = :branch AND state <> 'resolved'";

constexpr const char* kOpen =
    "INSERT INTO incidents (repository_id, workflow_key, workflow_name, branch, state,"
    " first_failed_run_id, last_failed_run_id, last_failure_created_at)"
    " VALUES (:repo, :wf, :name, :branch, 'open', :run, :run2, :created::timestamptz)"
    " RETURNING id";

constexpr const char* kRecur =
    "UPDATE incidents SET occurrences = occurrences + 1, last_failed_run_id = :run,"
    " last_failure_created_at = GREATEST(last_failure_created_at, :created::timestamptz)"
    " WHERE id = :id";

// Only a success at least as recent as the last failure resolves.
constexpr const char* kResolve =
    "UPDATE incidents SET state = 'resolved', resolved_at = now(), resolution = 'run_succeeded',"
    " resolved_by_run_id = :run, resolved_by_run_created_at = :created::timestamptz"
    " WHERE id = :id AND (last_failure_created_at IS NULL OR :created2::timestamptz IS NULL"
    "   OR last_failure_created_at <= :created3::timestamptz)";

constexpr const char* kCount =
    "INSERT INTO incident_runs (repository_id, run_id, run_attempt, incident_id, role, conclusion,"
    " html_url, run_created_at) VALUES (:repo, :run, :attempt, :id, :role, :conclusion, :url,"
    " :created::timestamptz)";

struct RunFacts {
  long long repository_id;
  long long run_id;
  int run_attempt;
  std::string workflow_key;
  std::string workflow_name;
  std::string branch;
  std::string conclusion;
  std::string html_url;
  std::string created_at;  // empty when GitHub gave none
  std::string repository_name;
};

soci::indicator presence(const std::string& value) {
  return value.empty() ? soci::i_null : soci::i_ok;
}

void count_run(soci::session& sql, const RunFacts& run, long long incident_id, const char* role) {
  const std::string role_text = role;
  auto url_ind = presence(run.html_url), created_ind = presence(run.created_at);
  sql << kCount, soci::use(run.repository_id, "repo"), soci::use(run.run_id, "run"),
      soci::use(run.run_attempt, "attempt"), soci::use(incident_id, "id"),
      soci::use(role_text, "role"), soci::use(run.conclusion, "conclusion"),
      soci::use(run.html_url, url_ind, "url"), soci::use(run.created_at, created_ind, "created");
}

std::optional<long long> open_incident(soci::session& sql, const RunFacts& run) {
  long long id = 0;
  sql << kOpenIncident, soci::use(run.repository_id, "repo"), soci::use(run.workflow_key, "wf"),
      soci::use(run.branch, "branch"), soci::into(id);
  if (!sql.got_data())
    return std::nullopt;
  return id;
}

void record_failure(soci::session& sql, const RunFacts& run) {
  if (!run.created_at.empty()) {
    long long superseded = 0;
    sql << kSupersededFailure, soci::use(run.repository_id, "repo"),
        soci::use(run.workflow_key, "wf"), soci::use(run.branch, "branch"),
        soci::use(run.created_at, "created"), soci::into(superseded);
    if (superseded > 0)
      return;
  }
  auto created_ind = presence(run.created_at);
  auto name_ind = presence(run.workflow_name);
  if (const auto id = open_incident(sql, run)) {
    sql << kRecur, soci::use(run.run_id, "run"), soci::use(run.created_at, created_ind, "created"),
        soci::use(*id, "id");
    count_run(sql, run, *id, "failure");
    enqueue_incident_event(sql, *id, IncidentEvent::kRecurred, run.run_id);
    return;
  }
  long long id = 0;
  sql << kOpen, soci::use(run.repository_id, "repo"), soci::use(run.workflow_key, "wf"),
      soci::use(run.workflow_name, name_ind, "name"), soci::use(run.branch, "branch"),
      soci::use(run.run_id, "run"), soci::use(run.run_id, "run2"),
      soci::use(run.created_at, created_ind, "created"), soci::into(id);
  count_run(sql, run, id, "failure");
  enqueue_incident_event(sql, id, IncidentEvent::kOpened, run.run_id);
}

void record_success(soci::session& sql, const RunFacts& run) {
  const auto id = open_incident(sql, run);
  if (!id)
    return;
  auto ind1 = presence(run.created_at), ind2 = ind1, ind3 = ind1;
  soci::statement st =
      (sql.prepare << kResolve, soci::use(run.run_id, "run"),
       soci::use(run.created_at, ind1, "created"), soci::use(*id, "id"),
       soci::use(run.created_at, ind2, "created2"), soci::use(run.created_at, ind3, "created3"));
  st.execute(true);
  if (st.get_affected_rows() != 1)
    return;  // an older success than the last failure
  count_run(sql, run, *id, "resolution");
  enqueue_incident_event(sql, *id, IncidentEvent::kResolved, run.run_id);
}

template <typename Pending>
std::set<std::string> unresolved_keys(soci::session& sql, const std::vector<Pending>& pending) {
  rapidjson::StringBuffer buffer;
  json::Writer out(buffer);
  out.StartArray();
  for (const auto& p : pending) {
    out.StartObject();
    out.Key("r");
    out.Int64(p.run.repository_id);
    out.Key("w");
    json::write(out, p.run.workflow_key);
    out.Key("b");
    json::write(out, p.run.branch);
    out.EndObject();
  }
  out.EndArray();
  const std::string keys(buffer.GetString(), buffer.GetSize());
  std::set<std::string> found;
  soci::rowset<soci::row> rows =
      (sql.prepare
           << "SELECT DISTINCT i.repository_id::text || '/' || i.workflow_key || '/' || i.branch"
              " FROM incidents i JOIN jsonb_to_recordset(:keys::jsonb) AS k(r bigint, w text, b "
              "text)"
              " ON i.repository_id = k.r AND i.workflow_key = k.w AND i.branch = k.b"
              " WHERE i.state <> 'resolved'",
       soci::use(keys, "keys"));
  for (const auto& row : rows)
    found.insert(row.get<std::string>(0));
  return found;
}

}  // namespace

Verdict verdict_of(const std::optional<std::string>& conclusion) {
  if (!conclusion)
    return Verdict::kNeutral;
  if (*conclusion == "failure" || *conclusion == "timed_out" || *conclusion == "startup_failure")
    return Verdict::kFailing;
  if (*conclusion == "success")
    return Verdict::kHealthy;
  return Verdict::kNeutral;
}

std::vector<Rejection> IncidentsHandler::apply(soci::session& sql,
                                               const std::vector<kafka::Message>& batch) {
  std::vector<Rejection> rejections;
  struct Pending {
    RunFacts run;
    Verdict verdict;
    std::string key;
  };
  std::vector<Pending> pending;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    events::WorkflowRunEvent event;
    try {
      event = events::parse_workflow_run_event(batch[i].value());
    } catch (const events::EventError& e) {
      rejections.push_back({i, e.what()});
      continue;
    }
    const auto& r = event.run;
    const Verdict verdict = verdict_of(r.conclusion);
    if (r.status != "completed" || verdict == Verdict::kNeutral)
      continue;
    RunFacts run{event.envelope.repository.id,
                 r.id,
                 static_cast<int>(r.run_attempt),
                 r.workflow_id ? std::to_string(*r.workflow_id) : r.name.value_or(""),
                 r.name.value_or(""),
                 r.head_branch.value_or(""),
                 *r.conclusion,
                 r.html_url.value_or(""),
                 r.created_at.value_or(""),
                 event.envelope.repository.full_name};
    std::string key = std::to_string(run.repository_id) + "/" + run.workflow_key + "/" + run.branch;
    pending.push_back({std::move(run), verdict, std::move(key)});
  }
  if (pending.empty())
    return rejections;

  // Most runs succeed where nothing is failing: find, in one query, the keys
  // that have an incident to resolve, and spend no round trip on the others.
  std::set<std::string> unresolved = unresolved_keys(sql, pending);
  for (const auto& p : pending) {
    if (p.verdict == Verdict::kHealthy && !unresolved.count(p.key))
      continue;
    const auto& run = p.run;
    sql << kLockKey, soci::use(p.key, "key");
    sql << kEnsureRepository, soci::use(run.repository_id, "id"),
        soci::use(run.repository_name, "name");
    long long counted = 0;
    sql << kAlreadyCounted, soci::use(run.repository_id, "repo"), soci::use(run.run_id, "run"),
        soci::use(run.run_attempt, "attempt"), soci::into(counted);
    if (counted > 0)
      continue;
    if (p.verdict == Verdict::kFailing) {
      record_failure(sql, run);
      unresolved.insert(p.key);
    } else {
      record_success(sql, run);
    }
  }
  return rejections;
}

}  // namespace faultline::processors
