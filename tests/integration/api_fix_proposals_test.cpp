// faultline-api's fix proposal endpoints over a real database: asking for
// one, the lists, the analytics, and every refusal: no model configured,
// proposals off, a GitLab project, bad input, no or a user's token.

#include <gtest/gtest.h>

#include <memory>

#include "common/json.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

constexpr const char* kSeed = R"SQL(
INSERT INTO repositories (id, full_name, fix_proposals) VALUES (555, 'octo/widgets', 'on_demand');
INSERT INTO repositories (id, full_name) VALUES (556, 'octo/other');
INSERT INTO repositories (id, full_name, provider) VALUES (-42, 'group/app', 'gitlab');
INSERT INTO incidents (id, repository_id, workflow_key, branch, state, first_failed_run_id,
                       last_failed_run_id)
VALUES (1, 555, 'ci', 'main', 'open', 20, 20), (2, 556, 'ci', 'main', 'open', 30, 30),
       (3, -42, 'ci', 'main', 'open', -40, -40);
)SQL";

class ApiFixProposalsTest : public ::testing::Test {
 protected:
  void start(bool model) {
    std::map<std::string, std::string> env{{"FAULTLINE_ENCRYPTION_KEY", std::string(64, 'c')}};
    if (model)
      env["FAULTLINE_FIX_MODEL_URL"] = "http://127.0.0.1:9/v1";
    api_ = std::make_unique<ApiProcess>(database_, env);
    base_ = api_->base();
    admin_ = new_account(database_, client_, base_, "admin@example.com", "admin").authorization();
    user_ = new_account(database_, client_, base_, "user@example.com").authorization();
    database_.execute(kSeed);
  }

  HttpResponse send(const std::string& method, const std::string& path, const std::string& as,
                    const std::string& body = "") {
    std::vector<std::string> headers{"Content-Type: application/json"};
    if (!as.empty())
      headers.push_back(as);
    return client_.request(method, base_ + path, headers, body);
  }

  std::string kind(const HttpResponse& r) const {
    return std::string(json::string_member(json::parse(r.body), "type").value_or(""));
  }

  TestDatabase database_;
  std::unique_ptr<ApiProcess> api_;
  std::string base_, admin_, user_;
  HttpClient client_;
};

TEST_F(ApiFixProposalsTest, WithoutAModelEveryEndpointSaysFixProposalsAreDisabled) {
  start(false);
  for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/v1/fix-proposals"},
           {"GET", "/api/v1/incidents/1/fix-proposals"},
           {"POST", "/api/v1/incidents/1/fix-proposals"},
           {"GET", "/api/v1/analytics/fix-proposals"}}) {
    const auto r = send(method, path, user_);
    EXPECT_EQ(r.status, 503) << method << " " << path << ": " << r.body;
    EXPECT_EQ(kind(r), "urn:faultline:problem:fix-proposals-disabled");
  }
  EXPECT_EQ(database_.count("SELECT count(*) FROM fix_proposals"), 0);
}

TEST_F(ApiFixProposalsTest, AskingMakesOneAttemptAtATimeAndTheListsShowIt) {
  start(true);
  const auto asked = send("POST", "/api/v1/incidents/1/fix-proposals", user_);
  ASSERT_EQ(asked.status, 202) << asked.body;
  const auto doc = json::parse(asked.body);
  EXPECT_EQ(json::string_member(doc, "state"), "requested");
  EXPECT_EQ(json::string_member(doc, "branch"), "faultline/fix-1-1");
  EXPECT_EQ(json::string_member(doc, "repository"), "octo/widgets");
  EXPECT_EQ(json::integer_member(doc, "run_id"), 20);
  EXPECT_NE(json::string_member(doc, "requested_by")->find("user:"), std::string::npos);

  // Still under way: the same one, nothing new.
  const auto again = send("POST", "/api/v1/incidents/1/fix-proposals", user_);
  EXPECT_EQ(again.status, 200) << again.body;
  EXPECT_EQ(json::integer_member(json::parse(again.body), "id"), json::integer_member(doc, "id"));
  // Once it ended, asking again is attempt 2.
  database_.execute("UPDATE fix_proposals SET state = 'rejected', reason = 'does-not-apply'");
  const auto second = send("POST", "/api/v1/incidents/1/fix-proposals", user_);
  ASSERT_EQ(second.status, 202) << second.body;
  EXPECT_EQ(json::string_member(json::parse(second.body), "branch"), "faultline/fix-1-2");
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log WHERE action = "
                            "'fix_proposal_request' AND target = 'incident:1' AND outcome = "
                            "'success'"),
            2);

  const auto mine = json::parse(send("GET", "/api/v1/incidents/1/fix-proposals", user_).body);
  EXPECT_EQ(json::integer_member(mine, "total"), 2);
  EXPECT_EQ(json::integer_member(mine["items"][0], "attempt"), 2);
  const auto rejected = json::parse(
      send("GET", "/api/v1/fix-proposals?state=rejected&repository=octo/widgets", user_).body);
  EXPECT_EQ(json::integer_member(rejected, "total"), 1);
  EXPECT_EQ(json::string_member(rejected["items"][0], "reason"), "does-not-apply");
  const auto analytics = json::parse(send("GET", "/api/v1/analytics/fix-proposals", user_).body);
  EXPECT_EQ(json::integer_member(analytics, "requested"), 1);
  EXPECT_EQ(json::integer_member(analytics, "rejected"), 1);
  EXPECT_TRUE(json::member(analytics, "success_rate")->IsNull());
}

TEST_F(ApiFixProposalsTest, RefusalsAreClearProblems) {
  start(true);
  // Off for the repository; a GitLab project; no such incident.
  auto r = send("POST", "/api/v1/incidents/2/fix-proposals", user_);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(kind(r), "urn:faultline:problem:fix-proposals-off");
  r = send("POST", "/api/v1/incidents/3/fix-proposals", user_);
  EXPECT_EQ(r.status, 409) << r.body;
  EXPECT_EQ(send("POST", "/api/v1/incidents/99/fix-proposals", user_).status, 404);
  EXPECT_EQ(send("GET", "/api/v1/incidents/99/fix-proposals", user_).status, 404);
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log WHERE action = "
                            "'fix_proposal_request' AND outcome = 'failure'"),
            3);
  // Malformed ids and filters.
  EXPECT_EQ(send("POST", "/api/v1/incidents/abc/fix-proposals", user_).status, 400);
  EXPECT_EQ(send("GET", "/api/v1/fix-proposals?state=bogus", user_).status, 400);
  EXPECT_EQ(send("GET", "/api/v1/fix-proposals?repository=noslash", user_).status, 400);
  EXPECT_EQ(send("GET", "/api/v1/analytics/fix-proposals?since=yesterday", user_).status, 400);
  EXPECT_EQ(send("GET", "/api/v1/fix-proposals?page_size=1000", user_).status, 400);
  // No token, a forged one.
  EXPECT_EQ(send("POST", "/api/v1/incidents/1/fix-proposals", "").status, 401);
  EXPECT_EQ(send("GET", "/api/v1/fix-proposals", "Authorization: Bearer forged.token.here").status,
            401);
  // A hostile repository filter is a value, never SQL.
  EXPECT_EQ(
      send("GET", "/api/v1/fix-proposals?repository=x/y'%3B%20DROP%20TABLE%20incidents--", user_)
          .status,
      200);
  EXPECT_EQ(database_.count("SELECT count(*) FROM incidents"), 3);
  // An oversized body is refused before any handler.
  EXPECT_EQ(
      send("POST", "/api/v1/incidents/1/fix-proposals", user_, std::string(2 << 20, 'x')).status,
      413);
  EXPECT_EQ(database_.count("SELECT count(*) FROM fix_proposals"), 0);
}

TEST_F(ApiFixProposalsTest, AdministratorsTurnProposalsOnPerRepository) {
  start(true);
  auto r = send("PATCH", "/api/v1/repositories/556", user_, R"({"fix_proposals":"automatic"})");
  EXPECT_EQ(r.status, 403);
  r = send("PATCH", "/api/v1/repositories/556", admin_, R"({"fix_proposals":"always"})");
  EXPECT_EQ(r.status, 400) << r.body;
  r = send("PATCH", "/api/v1/repositories/556", admin_, R"({"fix_proposals":"automatic"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::string_member(json::parse(r.body), "fix_proposals"), "automatic");
  EXPECT_EQ(send("POST", "/api/v1/incidents/2/fix-proposals", user_).status, 202);
}

}  // namespace
}  // namespace faultline::testing
