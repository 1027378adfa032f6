#include "processors/incidents_handler.hpp"

#include <set>

#include "common/events.hpp"
#include "common/json.hpp"
#include "common/topics.hpp"

namespace faultline::processors {
namespace {

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
  // that have an incident to resolve, and send only what can change something.
  std::set<std::string> relevant = unresolved_keys(sql, pending);
  rapidjson::StringBuffer buffer;
  json::Writer out(buffer);
  out.StartArray();
  std::size_t rows = 0;
  for (const auto& p : pending) {
    if (p.verdict == Verdict::kHealthy && !relevant.count(p.key))
      continue;
    if (p.verdict == Verdict::kFailing)
      relevant.insert(p.key);
    const auto& r = p.run;
    out.StartObject();
    out.Key("repository_id");
    out.Int64(r.repository_id);
    out.Key("repository");
    json::write(out, r.repository_name);
    out.Key("run_id");
    out.Int64(r.run_id);
    out.Key("run_attempt");
    out.Int(r.run_attempt);
    out.Key("workflow_key");
    json::write(out, r.workflow_key);
    out.Key("workflow_name");
    json::write(out, r.workflow_name);
    out.Key("branch");
    json::write(out, r.branch);
    out.Key("conclusion");
    json::write(out, r.conclusion);
    out.Key("failing");
    out.Bool(p.verdict == Verdict::kFailing);
    out.Key("html_url");
    json::write(out, r.html_url);
    out.Key("created_at");
    if (r.created_at.empty())
      out.Null();
    else
      json::write(out, r.created_at);
    out.EndObject();
    ++rows;
  }
  out.EndArray();
  if (rows > 0) {
    // One round trip: the rules run in the database, in arrival order.
    const std::string runs(buffer.GetString(), buffer.GetSize());
    sql << "SELECT faultline_apply_completed_runs(:runs::jsonb)", soci::use(runs, "runs");
  }
  return rejections;
}

}  // namespace faultline::processors
