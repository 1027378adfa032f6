#include "processors/reconciler.hpp"

#include <map>
#include <set>

#include "common/cloudevents.hpp"
#include "common/events.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/pg_literal.hpp"
#include "common/time.hpp"
#include "common/topics.hpp"
#include "common/trace_context.hpp"

namespace faultline::processors {

struct Reconciler::Repository {
  long long id = 0;
  std::string full_name;
  long long hook_id = 0;
  std::string sealed_token;
  std::string token_source;
};

namespace {

constexpr const char* kRepositories =
    "SELECT r.id, r.full_name, COALESCE(r.hook_id, 0), COALESCE(t.token_ciphertext, ''),"
    " COALESCE(t.source, '')"
    " FROM (SELECT :repo::text AS repo) f, repositories r"
    " JOIN repository_tokens t ON t.repository_id = r.id"
    " WHERE r.reconcile AND (f.repo = '' OR lower(r.full_name) = lower(f.repo)) ORDER BY r.id";

// The window ends a minute ahead: GitHub's clock and ours need not agree.
constexpr const char* kWindow =
    "SELECT " FAULTLINE_SQL_RFC3339("now() - make_interval(secs => :s)") ","
    " " FAULTLINE_SQL_RFC3339("now() + interval '1 minute'") ","
    " " FAULTLINE_SQL_RFC3339("now() - interval '3 days'");

constexpr const char* kMidpoint =
    "SELECT " FAULTLINE_SQL_RFC3339(":a::timestamptz + (:b::timestamptz - :c::timestamptz) / 2");

constexpr const char* kKnown =
    "SELECT count(*) FROM workflow_runs WHERE repository_id = :r AND run_id = :id"
    " AND run_attempt = :a AND status = 'completed'";

constexpr const char* kAlreadyAsked = "SELECT count(*) FROM redelivery_requests WHERE guid = :g";
constexpr const char* kAsked =
    "INSERT INTO redelivery_requests (guid, repository_id, delivery_id) VALUES (:g, :r, :d)"
    " ON CONFLICT DO NOTHING";

constexpr const char* kAudit =
    "INSERT INTO reconciliations (started_at, finished_at, window_start, repositories_inspected,"
    " runs_inspected, runs_missing, redeliveries_requested, published_runs, errors)"
    " VALUES (:started::timestamptz, now(), :window::timestamptz, :repos, :runs, :missing,"
    " :redeliveries, :published::bigint[], :errors::text[]) RETURNING id";

// GitHub returns at most 1,000 runs for a filtered listing.
constexpr long long kListingCap = 1000;

}  // namespace

Reconciler::Reconciler(Database& database, github::Client& github, github::CallLog& calls,
                       kafka::Producer& producer, const RepositoryTokens& tokens)
    : database_(database), github_(github), calls_(calls), producer_(producer), tokens_(tokens) {}

ReconciliationReport Reconciler::pass(const ReconcileOptions& options) {
  ReconciliationReport report;
  const std::string started = utc_now_rfc3339();
  std::string from, to, redeliverable_since;
  std::vector<Repository> repositories;
  database_.with_session([&](soci::session& sql) {
    const long long seconds = options.since.count();
    sql << kWindow, soci::use(seconds, "s"), soci::into(from), soci::into(to),
        soci::into(redeliverable_since);
    soci::rowset<soci::row> rows =
        (sql.prepare << kRepositories, soci::use(options.repository, "repo"));
    for (const auto& r : rows)
      repositories.push_back({r.get<long long>(0), r.get<std::string>(1), r.get<long long>(2),
                              r.get<std::string>(3), r.get<std::string>(4)});
  });
  if (!options.repository.empty() && repositories.empty())
    report.errors.push_back(options.repository + ": not tracked, or reconciliation is off");

  std::vector<long long> published;
  for (const auto& repo : repositories) {
    const auto found = tokens_.open(repo.sealed_token, repo.token_source, repo.full_name);
    const std::string token = found ? found->token : "";
    const github::CallLog::Scope purpose(0, repo.id, "reconcile");
    if (token.empty()) {
      calls_.skipped("no token for " + repo.full_name + " and no FAULTLINE_GITHUB_TOKEN");
      report.errors.push_back(repo.full_name + ": no token");
      continue;
    }
    ++report.repositories_inspected;
    try {
      reconcile_runs(repo, token, from, to, report, published, 0);
      if (repo.hook_id > 0)
        redeliver_failures(repo, token, redeliverable_since, report);
    } catch (const std::exception& e) {
      report.errors.push_back(repo.full_name + ": " + e.what());
      log::warn("reconciliation of a repository failed",
                {{"repository", repo.full_name}, {"error", e.what()}});
    }
  }

  database_.with_session([&](soci::session& sql) {
    const std::string published_array = pg::array_literal(published);
    const std::string errors_array = pg::array_literal(report.errors);
    long long id = 0;
    sql << kAudit, soci::use(started, "started"), soci::use(from, "window"),
        soci::use(report.repositories_inspected, "repos"), soci::use(report.runs_inspected, "runs"),
        soci::use(report.runs_missing, "missing"),
        soci::use(report.redeliveries_requested, "redeliveries"),
        soci::use(published_array, "published"), soci::use(errors_array, "errors"), soci::into(id);
    report.id = id;
  });
  log::info("reconciliation pass", {{"id", static_cast<std::int64_t>(report.id)},
                                    {"repositories", report.repositories_inspected},
                                    {"runs_inspected", report.runs_inspected},
                                    {"runs_missing", report.runs_missing},
                                    {"redeliveries", report.redeliveries_requested},
                                    {"errors", report.errors.size()}});
  return report;
}

void Reconciler::reconcile_runs(const Repository& repo, const std::string& token,
                                const std::string& from, const std::string& to,
                                ReconciliationReport& report, std::vector<long long>& published,
                                int depth) {
  const auto pages = github_.get_pages(token, "/repos/" + repo.full_name +
                                                  "/actions/runs?status=completed&created=" + from +
                                                  ".." + to + "&per_page=100");
  if (pages.empty())
    return;
  const auto first = json::parse(pages.front());
  if (json::integer_member(first, "total_count").value_or(0) > kListingCap && depth < 10) {
    // Too busy for one listing: walk the window in halves.
    std::string middle;
    database_.with_session([&](soci::session& sql) {
      sql << kMidpoint, soci::use(from, "a"), soci::use(to, "b"), soci::use(from, "c"),
          soci::into(middle);
    });
    reconcile_runs(repo, token, from, middle, report, published, depth + 1);
    reconcile_runs(repo, token, middle, to, report, published, depth + 1);
    return;
  }
  for (const auto& page : pages) {
    const auto listing = json::parse(page);
    const auto* runs = json::member(listing, "workflow_runs");
    if (!runs || !runs->IsArray())
      continue;
    for (const auto& raw : runs->GetArray()) {
      events::WorkflowRunEvent event;
      try {
        event.run = events::read_workflow_run(raw);
      } catch (const events::EventError& e) {
        report.errors.push_back(repo.full_name + ": " + e.what());
        continue;
      }
      ++report.runs_inspected;
      long long known = 0;
      database_.with_session([&](soci::session& sql) {
        const long long run_id = event.run.id;
        const int attempt = static_cast<int>(event.run.run_attempt);
        sql << kKnown, soci::use(repo.id, "r"), soci::use(run_id, "id"), soci::use(attempt, "a"),
            soci::into(known);
      });
      if (known > 0)
        continue;

      ++report.runs_missing;
      auto& e = event.envelope;
      e.delivery_id = "reconciler-" + std::to_string(repo.id) + "-" + std::to_string(event.run.id) +
                      "-" + std::to_string(event.run.run_attempt);
      e.action = "completed";
      e.source = "reconciler";
      e.received_at = utc_now_rfc3339();
      e.repository = {repo.id, repo.full_name};
      const CloudEvent cloud_event{e.delivery_id, "https://github.com/" + repo.full_name,
                                   "com.github.workflow_run.completed", e.received_at};
      // A run found here is a delivery of its own: its trace starts here.
      const trace::Scope traced(trace::start());
      auto headers = to_headers(cloud_event);
      trace::add_headers(*trace::current(), headers);
      const auto err = producer_.produce_and_wait({topics::kWorkflowRun,
                                                   events::partition_key(repo.id, event.run.id),
                                                   events::to_json(event), std::move(headers)});
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR)
        throw kafka::Error(std::string("cannot publish a missing run: ") + rd_kafka_err2str(err),
                           err);
      log::info("published a missing run", {{"repository", repo.full_name},
                                            {"run_id", static_cast<std::int64_t>(event.run.id)},
                                            {"delivery_id", e.delivery_id}});
      published.push_back(event.run.id);
    }
  }
}

void Reconciler::redeliver_failures(const Repository& repo, const std::string& token,
                                    const std::string& since, ReconciliationReport& report) {
  const std::string hook =
      "/repos/" + repo.full_name + "/hooks/" + std::to_string(repo.hook_id) + "/deliveries";
  // Per GUID: the newest failed attempt, unless some attempt succeeded.
  std::map<std::string, long long> failed;
  std::set<std::string> succeeded;
  for (const auto& page : github_.get_pages(token, hook + "?per_page=100", 20)) {
    const auto deliveries = json::parse(page);
    if (!deliveries.IsArray())
      continue;
    for (const auto& d : deliveries.GetArray()) {
      const std::string guid(json::string_member(d, "guid").value_or(""));
      const auto id = json::integer_member(d, "id").value_or(0);
      const auto code = json::integer_member(d, "status_code").value_or(0);
      // RFC 3339 in UTC compares as text; GitHub cannot redeliver older ones.
      const std::string delivered(json::string_member(d, "delivered_at").value_or(""));
      if (guid.empty() || id <= 0 || delivered < since)
        continue;
      if (code >= 200 && code < 300) {
        succeeded.insert(guid);
      } else if (!failed.count(guid) || failed[guid] < id) {
        failed[guid] = id;
      }
    }
  }
  for (const auto& failure : failed) {
    // Named, not a structured binding: the lambdas below capture them (clang 14).
    const auto& guid = failure.first;
    const auto& delivery_id = failure.second;
    if (succeeded.count(guid))
      continue;
    long long asked = 0;
    database_.with_session(
        [&](soci::session& sql) { sql << kAlreadyAsked, soci::use(guid, "g"), soci::into(asked); });
    if (asked > 0)
      continue;
    const auto response =
        github_.request(token, "POST", hook + "/" + std::to_string(delivery_id) + "/attempts");
    if (response.status != 202 && response.status != 200) {
      report.errors.push_back(repo.full_name + ": redelivery of " + guid + " answered " +
                              std::to_string(response.status));
      continue;
    }
    database_.with_session([&](soci::session& sql) {
      const long long id = delivery_id;
      sql << kAsked, soci::use(guid, "g"), soci::use(repo.id, "r"), soci::use(id, "d");
    });
    ++report.redeliveries_requested;
  }
}

void Reconciler::run(const StopSignal& stop, std::chrono::milliseconds interval) {
  repeat_until_stopped(
      stop, interval, [this] { pass(ReconcileOptions{}); }, "reconciliation pass failed");
}

}  // namespace faultline::processors
