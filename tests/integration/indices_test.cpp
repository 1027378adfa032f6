// The API's hot reads use their indices. Tables are filled to a realistic
// size and analysed, so the planner chooses freely; each query has the shape
// the API sends.

#include <gtest/gtest.h>

#include "common/database.hpp"
#include "tests/support/environment.hpp"

namespace faultline::testing {
namespace {

constexpr const char* kSeed[] = {
    "INSERT INTO users (email, password_hash, role)"
    " SELECT 'user' || g || '@example.com', 'x', 'user' FROM generate_series(1, 200) g",
    "INSERT INTO projects (owner_id, name, created_at)"
    " SELECT 1 + g % 200, 'p' || g, now() - g * interval '1 minute'"
    " FROM generate_series(1, 20000) g",
    "INSERT INTO support_tickets (owner_id, subject, body, created_at)"
    " SELECT 1 + g % 200, 's', 'b', now() - g * interval '1 minute'"
    " FROM generate_series(1, 20000) g",
    "INSERT INTO community_posts (author_id, title, body, created_at)"
    " SELECT 1 + g % 200, 't', 'b', now() - g * interval '1 minute'"
    " FROM generate_series(1, 20000) g",
    "INSERT INTO status_events (service, status, created_at)"
    " SELECT 'service-' || g % 50, 'operational', now() - g * interval '1 minute'"
    " FROM generate_series(1, 20000) g",
    "INSERT INTO idempotency_keys (user_id, endpoint, key, fingerprint, created_at)"
    " SELECT 1 + g % 200, 'POST /api/v1/projects', 'k' || g, 'f', now() - g * interval '10 s'"
    " FROM generate_series(1, 20000) g",
    "INSERT INTO sessions (user_id, created_at, expires_at)"
    " SELECT 1 + g % 200, now() - g * interval '1 minute', now() + interval '30 days'"
    " FROM generate_series(1, 20000) g",
    "INSERT INTO repositories (id, full_name) SELECT g, 'octo/r' || g FROM generate_series(1, 100) "
    "g",
    "INSERT INTO workflow_runs (repository_id, run_id, run_attempt, name, head_branch, status,"
    " created_at)"
    " SELECT 1 + g % 100, g, 1, 'CI', CASE WHEN g % 10 = 0 THEN 'feature-' || g % 500 ELSE"
    " 'main' END, 'completed', now() - g * interval '1 minute'"
    " FROM generate_series(1, 50000) g",
    "INSERT INTO incidents (repository_id, workflow_key, branch, state, first_failed_run_id,"
    " last_failed_run_id, opened_at)"
    " SELECT 1 + g % 100, 'w' || g, 'main', CASE WHEN g % 50 = 0 THEN 'open' ELSE 'resolved' END,"
    " g, g, now() - g * interval '1 minute' FROM generate_series(1, 20000) g",
    "ANALYZE",
};

struct HotRead {
  const char* what;
  const char* index;
  const char* query;
};

const HotRead kHotReads[] = {
    {"a user's projects, newest first", "projects_by_owner",
     "SELECT id FROM projects WHERE owner_id = 7 ORDER BY created_at DESC, id DESC LIMIT 50"},
    {"a user's tickets, newest first", "support_tickets_by_owner",
     "SELECT id FROM support_tickets WHERE owner_id = 7 ORDER BY created_at DESC, id DESC LIMIT "
     "50"},
    {"community posts, newest first", "community_posts_by_time",
     "SELECT id FROM community_posts ORDER BY created_at DESC, id DESC LIMIT 50"},
    {"a service's status events", "status_events_by_service",
     "SELECT id FROM status_events WHERE service = 'service-7'"
     " ORDER BY created_at DESC, id DESC LIMIT 50"},
    {"the latest event of each service", "status_events_by_service",
     "SELECT DISTINCT ON (service) service, status FROM status_events"
     " ORDER BY service, created_at DESC, id DESC"},
    {"an idempotency key", "idempotency_keys_pkey",
     "SELECT status FROM idempotency_keys WHERE user_id = 7"
     " AND endpoint = 'POST /api/v1/projects' AND key = 'k7'"},
    {"expired idempotency keys", "idempotency_keys_by_age",
     "SELECT count(*) FROM idempotency_keys WHERE created_at < now() - interval '24 hours'"},
    {"a user's sessions, newest first", "sessions_by_user",
     "SELECT id FROM sessions WHERE user_id = 7 ORDER BY created_at DESC LIMIT 50"},
    {"a repository's runs, newest first", "workflow_runs_by_repository_time",
     "SELECT run_id FROM workflow_runs WHERE repository_id = 7 ORDER BY created_at DESC LIMIT 50"},
    {"all runs, newest first", "workflow_runs_by_time",
     "SELECT run_id FROM workflow_runs ORDER BY created_at DESC NULLS LAST, run_id DESC LIMIT 50"},
    {"a branch's runs, newest first", "workflow_runs_by_branch_time",
     "SELECT run_id FROM workflow_runs WHERE head_branch = 'feature-10'"
     " ORDER BY created_at DESC NULLS LAST, run_id DESC LIMIT 50"},
    {"open incidents", "incidents_by_state",
     "SELECT id FROM incidents WHERE state = 'open' ORDER BY opened_at DESC LIMIT 50"},
};

TEST(Indices, HotReadsUseTheirIndex) {
  TestDatabase database;
  soci::session sql(soci::postgresql, with_utc_sessions(database.url()));
  for (const char* statement : kSeed)
    sql << statement;
  for (const auto& read : kHotReads) {
    std::string plan, line;
    soci::rowset<std::string> rows = (sql.prepare << std::string("EXPLAIN ") + read.query);
    for (const auto& row : rows)
      plan += row + "\n";
    EXPECT_NE(plan.find(std::string("using ") + read.index + " on"), std::string::npos)
        << read.what << " does not use " << read.index << ":\n"
        << plan;
    EXPECT_EQ(plan.find("Seq Scan"), std::string::npos) << read.what << ":\n" << plan;
  }
}

// The plans PostgreSQL logs for statements run inside functions, as the
// client of `sql` receives them (auto_explain at WARNING).
class NestedPlans {
 public:
  explicit NestedPlans(soci::session& sql) : sql_(sql) {
    auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
    PQsetNoticeProcessor(backend->conn_, &NestedPlans::collect, this);
    sql << "LOAD 'auto_explain'";
    sql << "SET auto_explain.log_min_duration = 0";
    sql << "SET auto_explain.log_nested_statements = on";
    sql << "SET auto_explain.log_level = warning";
  }
  std::string of(const std::string& statement) {
    text_.clear();
    std::string ignored;
    sql_ << statement, soci::into(ignored);
    return text_;
  }

 private:
  static void collect(void* self, const char* message) {
    static_cast<NestedPlans*>(self)->text_ += message;
  }
  soci::session& sql_;
  std::string text_;
};

// The run page is planned for the filters of each call. A generic plan kept
// after a few calls with a filter once served every later page of the
// connection: 1.9 s for the first page of 220,000 runs.
TEST(Indices, RunPagePlansFollowTheFiltersOfEachCall) {
  TestDatabase database;
  soci::session sql(soci::postgresql, with_utc_sessions(database.url()));
  for (const char* statement : kSeed)
    sql << statement;
  NestedPlans plans(sql);
  const auto page = [](const std::string& branch, const std::string& conclusion) {
    return "SELECT faultline_workflow_run_page('', '', '" + branch + "', '', '" + conclusion +
           "', NULL, 50, 0)";
  };
  // Calls that read the whole table whatever the plan: past the five after
  // which PostgreSQL may keep a generic plan, and making one look cheap.
  for (int i = 0; i < 8; ++i)
    plans.of(page("", "no-such-conclusion"));
  for (int i = 0; i < 8; ++i) {
    const auto all = plans.of(page("", ""));
    EXPECT_NE(all.find("using workflow_runs_by_time on"), std::string::npos) << all;
    EXPECT_EQ(all.find("Gather"), std::string::npos) << all;
    const auto branch = plans.of(page("feature-10", ""));
    EXPECT_NE(branch.find("using workflow_runs_by_branch_time on"), std::string::npos) << branch;
    EXPECT_EQ(branch.find("Seq Scan on workflow_runs"), std::string::npos) << branch;
  }
}

}  // namespace
}  // namespace faultline::testing
