// Role `fixer` with the roles before it (runs, incidents, issues), against the
// fake GitHub (issues, logs, git data, pulls), the fake model, real
// PostgreSQL and the broker: a failing run of an `automatic` repository ends
// in one draft pull request, linked from its issue, and its merge is followed
// to the incident's resolution.

#include <gtest/gtest.h>
#include <signal.h>

#include "api/fix_proposals.hpp"
#include "common/database.hpp"
#include "common/json.hpp"
#include "common/pull_request_events.hpp"
#include "common/topics.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/fake_github.hpp"
#include "tests/support/fake_model.hpp"
#include "tests/support/run_events.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRepo = "octo/widgets";
constexpr const char* kModelKey = "sk-fix-7f3c19d2e5a84b60";
constexpr const char* kApp = "const port = 80;\nmodule.exports = port;\n";
constexpr const char* kFixed = "const port = 8080;\nmodule.exports = port;\n";

// A jest failure as the runner logs it: the test and the code it names.
std::string jest_log() {
  const std::string ts = "2026-11-23T10:00:01.0000000Z ";
  std::string log;
  for (const char* line :
       {"##[group]Run npm test", "npm test", "##[endgroup]", "> widgets@1.0.0 test", "> jest",
        "FAIL src/app.test.js", "  ● port › is the one the service listens on",
        "    expect(received).toBe(expected) // Object.is equality", "    Expected: 8080",
        "    Received: 80", "      at Object.<anonymous> (src/app.test.js:3:16)",
        "    The port comes from src/app.js:1", "##[error]Process completed with exit code 1."})
    log += ts + line + "\n";
  return log;
}

std::string answer(const std::string& diff) {
  return json::object([&](json::Writer& out) {
    out.Key("content");
    json::write(out,
                "Reason: The test expects the service on port 8080, and src/app.js exports "
                "80.\n\n```diff\n" +
                    diff + "```\n");
  });
}

constexpr const char* kGoodDiff =
    "--- a/src/app.js\n+++ b/src/app.js\n@@ -1,2 +1,2 @@\n-const port = 80;\n"
    "+const port = 8080;\n module.exports = port;\n";

class FixProposalsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    producer_ = std::make_unique<kafka::Producer>(kafka::Settings{broker_.bootstrap(), {}}, 10s);
    base_ = github_.seed_commit(kRepo, "main", R"({
      "src/app.js": "const port = 80;\nmodule.exports = port;\n",
      "src/app.test.js": "const port = require('./app');\ntest('port', () => {\n  expect(port).toBe(8080);\n});\n",
      ".github/workflows/ci.yml": "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"})");
    github_.seed_jobs(kRepo, 20, R"json([
      {"id": 502, "run_id": 20, "name": "test", "status": "completed", "conclusion": "failure",
       "html_url": "https://github.com/octo/widgets/actions/runs/20/job/502",
       "steps": [{"name": "Run npm test", "conclusion": "failure", "number": 2}]}])json");
    github_.seed_log(502, jest_log());
    github_.seed_runs(kRepo, R"([{"id": 20, "name": "CI", "path": ".github/workflows/ci.yml",
      "status": "completed", "conclusion": "failure", "head_branch": "main",
      "created_at": "2026-11-23T10:00:00Z"}])");
    database_.execute(
        "INSERT INTO repositories (id, full_name, fix_proposals) "
        "VALUES (555, 'octo/widgets', 'automatic')");
  }

  std::unique_ptr<ChildProcess> start(const std::string& name) {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-processors"), "--roles",
                                 "runs,incidents,issues,fixer"},
        std::map<std::string, std::string>{
            {"FAULTLINE_DATABASE_URL", database_.url()},
            {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
            {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"},
            {"FAULTLINE_GITHUB_API_URL", github_.url()},
            {"FAULTLINE_GITHUB_TOKEN", "repo-token"},
            {"FAULTLINE_GITHUB_MUTATION_SPACING", "10ms"},
            {"FAULTLINE_RECONCILE_INTERVAL", "1h"},
            {"FAULTLINE_DASHBOARD_URL", "https://faultline.example.com"},
            {"FAULTLINE_FIX_MODEL_URL", model_.url() + "/v1"},
            {"FAULTLINE_FIX_MODEL", "fake-coder"},
            {"FAULTLINE_FIX_MODEL_API_KEY", kModelKey},
            {"FAULTLINE_FIX_LEASE", "2s"},
            {"FAULTLINE_FIX_RETRY_WAIT", "1s"},
            {"FAULTLINE_FIX_CONTEXT_WAIT", "30s"}},
        scratch_path("processors-fixer-" + name + ".log"));
  }

  void fail_run(std::int64_t run_id, const char* conclusion = "failure") {
    RunSpec spec;
    spec.run_id = run_id;
    spec.conclusion = conclusion;
    spec.created_at = run_id == 20 ? "2026-11-23T10:00:00Z" : "2026-11-23T11:00:00Z";
    spec.updated_at = spec.created_at;
    spec.delivery_id = "d-" + std::to_string(run_id);
    spec.head_sha = base_;
    ASSERT_EQ(producer_->produce_and_wait(run_message(run_event(spec))),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  json::Document pulls() const {
    const auto all = json::parse(github_.pulls());
    json::Document out(rapidjson::kArrayType);
    if (const auto* list = json::member(all, kRepo))
      out.CopyFrom(*list, out.GetAllocator());
    return out;
  }

  // What became of the proposals, for a failure's message.
  std::string proposals() const {
    return database_.scalar(
        "SELECT COALESCE(string_agg(state || ' ' || COALESCE(reason, '') || ' ' || "
        "COALESCE(detail, ''), '\n'), 'none') FROM fix_proposals");
  }

  // Rows of every table of the database that hold `text` anywhere.
  long long tables_holding(const std::string& text) const {
    return database_.count(
        "SELECT count(*) FROM information_schema.tables t, LATERAL (SELECT query_to_xml("
        "format('SELECT * FROM %I.%I', t.table_schema, t.table_name), true, false, '')::text AS x)"
        " d WHERE t.table_schema = 'public' AND t.table_type = 'BASE TABLE' AND d.x LIKE '%" +
        text + "%'");
  }

  TestDatabase database_;
  TestBroker broker_;
  FakeGitHub github_;
  FakeModel model_;
  std::unique_ptr<kafka::Producer> producer_;
  std::string base_;
};

TEST_F(FixProposalsTest,
       AFailingRunGetsOneDraftPullRequestLinkedFromItsIssueAndItsMergeIsFollowed) {
  model_.set_api_key(kModelKey);
  model_.reply("[" + answer(kGoodDiff) + "]");
  auto processors = start("one");
  fail_run(20);
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM fix_proposals WHERE state = 'opened' "
                                     "AND issue_commented",
                                     1),
            1)
      << proposals() << processors->log();

  // One draft pull request from the proposal's branch into the failing branch.
  const auto list = pulls();
  ASSERT_EQ(list.Size(), 1u) << github_.pulls();
  const auto& pull = list[0];
  EXPECT_TRUE(json::member(pull, "draft")->GetBool());
  EXPECT_EQ(json::string_member(*json::member(pull, "head"), "ref"), "faultline/fix-1-1");
  EXPECT_EQ(json::string_member(*json::member(pull, "base"), "ref"), "main");
  const std::string body(json::string_member(pull, "body").value_or(""));
  for (const char* expected :
       {"<!-- faultline:fix-proposal incident=1 attempt=1 -->", "A person must review it",
        "https://faultline.example.com/incidents/1", "/actions/runs/20", "Failing job **test**",
        "Received: 80", "exports 80"})
    EXPECT_NE(body.find(expected), std::string::npos) << expected << "\n" << body;

  // Its one commit, on the failing commit, holds the patched file.
  const auto tree = json::parse(github_.files_at(kRepo, "faultline/fix-1-1"));
  EXPECT_EQ((*json::member(tree, "parents"))[0].GetString(), base_);
  EXPECT_EQ(json::string_member(*json::member(tree, "files"), "src/app.js"), kFixed);
  EXPECT_NE(json::string_member(*json::member(tree, "files"), "src/app.test.js"), std::nullopt);

  // The issue says where the proposal is.
  const auto issues = json::parse(github_.issues());
  const auto& comments = (*json::member((*json::member(issues, kRepo))[0], "comments")).GetArray();
  bool linked = false;
  for (const auto& c : comments)
    linked = linked || std::string(c.GetString()).find(*json::string_member(pull, "html_url")) !=
                           std::string::npos;
  EXPECT_TRUE(linked);

  // The model was asked once, with the failure and the files it names.
  const auto asked = json::parse(model_.requests());
  ASSERT_EQ(asked.Size(), 1u);
  EXPECT_EQ(json::string_member(*json::member(asked[0], "headers"), "authorization"),
            std::string("Bearer ") + kModelKey);
  const std::string question(
      json::string_member((*json::member(*json::member(asked[0], "body"), "messages"))[1],
                          "content")
          .value_or(""));
  for (const char* expected :
       {"Failing step: Run npm test", "Received: 80", "File src/app.js at the failing commit", kApp,
        "Workflow: CI (.github/workflows/ci.yml)",
        "File .github/workflows/ci.yml at the failing commit", "runs-on: ubuntu-latest"})
    EXPECT_NE(question.find(expected), std::string::npos) << expected;
  EXPECT_EQ(database_.count("SELECT count(*) FROM fix_model_calls WHERE outcome = 'answered' AND "
                            "status = 200 AND prompt_tokens > 0 AND answer_bytes > 0"),
            1);
  EXPECT_EQ(database_.scalar("SELECT files::text FROM fix_proposals"), R"(["src/app.js"])");
  // GitHub's calls for it are on record under their purpose.
  EXPECT_GE(database_.count("SELECT count(*) FROM github_calls WHERE purpose = 'fix-proposal' "
                            "AND incident_id = 1"),
            5);

  // The API key is in no table and no log line.
  EXPECT_EQ(tables_holding(kModelKey), 0);
  EXPECT_EQ(processors->log().find(kModelKey), std::string::npos);

  // A person merges it; the next green run resolves the incident: fixed by the proposal.
  events::PullRequestEvent merged;
  merged.envelope.delivery_id = "pr-merged";
  merged.envelope.action = "closed";
  merged.envelope.received_at = "2026-11-23T10:30:00.000Z";
  merged.envelope.repository = {555, kRepo};
  merged.pull_request.id = 990001;
  merged.pull_request.number = json::integer_member(pull, "number").value_or(0);
  merged.pull_request.state = "closed";
  merged.pull_request.merged = true;
  merged.pull_request.head_ref = "faultline/fix-1-1";
  merged.pull_request.merged_at = "2026-11-23T10:30:00Z";
  merged.pull_request.closed_at = "2026-11-23T10:30:00Z";
  ASSERT_EQ(
      producer_->produce_and_wait({topics::kPullRequest, "555/1", events::to_json(merged), {}}),
      RD_KAFKA_RESP_ERR_NO_ERROR);
  ASSERT_EQ(
      database_.wait_for_count("SELECT count(*) FROM fix_proposals WHERE state = 'merged'", 1), 1)
      << processors->log();
  fail_run(21, "success");
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'resolved'", 1),
            1);
  Database db(DatabaseSettings{database_.url(), 1});
  const auto analytics = json::parse(db.with_session([](soci::session& sql) {
    return api::fix_proposal_analytics(sql, {"2026-01-01T00:00:00Z", "", ""});
  }));
  EXPECT_EQ(json::integer_member(analytics, "opened"), 1);
  EXPECT_EQ(json::integer_member(analytics, "merged"), 1);
  EXPECT_EQ(json::integer_member(analytics, "fixed_incidents"), 1);
  EXPECT_EQ(json::member(analytics, "success_rate")->GetDouble(), 1.0);
}

TEST_F(FixProposalsTest, ADiffThatDoesNotApplyIsRejectedAndRecordedAndNothingIsMade) {
  model_.set_api_key(kModelKey);
  model_.reply("[" +
               answer("--- a/src/app.js\n+++ b/src/app.js\n@@ -1,2 +1,2 @@\n-const port = 8000;\n"
                      "+const port = 8080;\n module.exports = port;\n") +
               "]");
  auto processors = start("rejected");
  fail_run(20);
  ASSERT_EQ(
      database_.wait_for_count("SELECT count(*) FROM fix_proposals WHERE state = 'rejected'", 1), 1)
      << processors->log();
  EXPECT_EQ(database_.scalar("SELECT reason FROM fix_proposals"), "does-not-apply");
  EXPECT_NE(database_.scalar("SELECT detail FROM fix_proposals").find("does not apply"),
            std::string::npos);
  EXPECT_NE(database_.scalar("SELECT model_reason FROM fix_proposals").find("port 8080"),
            std::string::npos);
  EXPECT_EQ(database_.count("SELECT count(*) FROM fix_model_calls"), 1);
  EXPECT_EQ(pulls().Size(), 0u);
  EXPECT_EQ(github_.files_at(kRepo, "faultline/fix-1-1"), "null");
}

TEST_F(FixProposalsTest, ModelFailuresAreRecordedAndRetriedWithinTheLimit) {
  model_.set_api_key(kModelKey);
  // A rate limit (Retry-After honoured), garbage, then an answer.
  model_.reply(R"([{"status":429,"retry_after":"1"},{"raw":"<html>bad gateway</html>"},)" +
               answer(kGoodDiff) + "]");
  auto processors = start("retried");
  fail_run(20);
  ASSERT_EQ(
      database_.wait_for_count("SELECT count(*) FROM fix_proposals WHERE state = 'opened'", 1, 60s),
      1)
      << processors->log();
  EXPECT_EQ(database_.scalar("SELECT string_agg(outcome || ':' || COALESCE(status, 0), ',' ORDER "
                             "BY id) FROM fix_model_calls"),
            "rate-limited:429,garbage:200,answered:200");
  EXPECT_EQ(pulls().Size(), 1u);
}

TEST_F(FixProposalsTest, KilledBetweenThePullRequestAndRecordingItMakesNoSecond) {
  model_.set_api_key(kModelKey);
  model_.reply("[" + answer(kGoodDiff) + "]");
  // GitHub opens the pull request and its answer never reaches the killed processors.
  github_.delay_answer("POST", "/repos/octo/widgets/pulls", 60000);
  auto first = start("killed");
  fail_run(20);
  for (int i = 0; i < 400 && pulls().Size() == 0; ++i)
    std::this_thread::sleep_for(100ms);
  ASSERT_EQ(pulls().Size(), 1u) << first->log();
  first->signal(SIGKILL);
  first->wait(10s);
  EXPECT_EQ(database_.scalar("SELECT state FROM fix_proposals"), "requested");
  EXPECT_EQ(database_.count("SELECT count(*) FROM fix_proposals WHERE diff IS NOT NULL"), 1);

  auto second = start("after-kill");
  ASSERT_EQ(
      database_.wait_for_count("SELECT count(*) FROM fix_proposals WHERE state = 'opened'", 1, 60s),
      1)
      << second->log();
  EXPECT_EQ(pulls().Size(), 1u) << github_.pulls();
  EXPECT_EQ(database_.scalar("SELECT pull_number::text FROM fix_proposals"),
            std::to_string(json::integer_member(pulls()[0], "number").value_or(0)));
  // The kept diff was committed; the model was not asked again.
  EXPECT_EQ(json::parse(model_.requests()).Size(), 1u);
  EXPECT_EQ(json::string_member(
                *json::member(json::parse(github_.files_at(kRepo, "faultline/fix-1-1")), "files"),
                "src/app.js"),
            kFixed);
}

}  // namespace
}  // namespace faultline::testing
