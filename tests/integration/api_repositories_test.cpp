// faultline-api's repositories and incident actions over a real database,
// with the fake GitHub for repositories no webhook has named yet.

#include <gtest/gtest.h>

#include <memory>

#include "common/database.hpp"
#include "common/json.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/fake_github.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

class ApiRepositoriesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    {
      soci::session sql(soci::postgresql, with_utc_sessions(database_.url()));
      sql << "INSERT INTO repositories (id, full_name) VALUES (555, 'octo/widgets')";
      sql << "INSERT INTO incidents (repository_id, workflow_key, branch, state, "
             "first_failed_run_id,"
             " last_failed_run_id) VALUES (555, '31', 'main', 'open', 1, 1)";
    }
    api_ = std::make_unique<ApiProcess>(
        database_,
        std::map<std::string, std::string>{{"FAULTLINE_GITHUB_API_URL", github_.url()},
                                           {"FAULTLINE_ENCRYPTION_KEY", std::string(64, 'c')}});
    base_ = api_->base();
    admin_ = new_account(database_, client_, base_, "admin@example.com", "admin").authorization();
    user_ = new_account(database_, client_, base_, "user@example.com").authorization();
  }

  // As the administrator unless `as` names another Authorization header.
  HttpResponse send(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& type = "application/json",
                    const std::string& as = "") {
    return client_.request(method, base_ + path,
                           {"Content-Type: " + type, as.empty() ? admin_ : as}, body);
  }

  TestDatabase database_;
  FakeGitHub github_;
  std::unique_ptr<ApiProcess> api_;
  std::string base_;
  std::string admin_, user_;
  HttpClient client_;
};

TEST_F(ApiRepositoriesTest, ConnectsATrackedRepositoryAndNeverShowsItsToken) {
  const auto connected =
      send("POST", "/api/v1/repositories",
           R"({"full_name":"Octo/Widgets","token":"ghp_very-secret","hook_id":77})");
  ASSERT_EQ(connected.status, 201) << connected.body;
  const auto doc = json::parse(connected.body);
  EXPECT_EQ(json::integer_member(doc, "id"), 555);
  EXPECT_EQ(json::string_member(doc, "token_source"), "repository");
  EXPECT_EQ(json::integer_member(doc, "hook_id"), 77);
  EXPECT_EQ(connected.body.find("ghp_"), std::string::npos);
  // Stored sealed, not as given.
  EXPECT_EQ(
      database_.count("SELECT count(*) FROM repositories WHERE token_ciphertext LIKE '%ghp_%'"), 0);
  EXPECT_EQ(database_.count("SELECT count(*) FROM repositories WHERE token_ciphertext IS NOT NULL"),
            1);

  EXPECT_EQ(send("POST", "/api/v1/repositories", R"({"full_name":"octo/widgets"})").status, 200);
  const auto list = client_.get(base_ + "/api/v1/repositories", {admin_});
  EXPECT_EQ(list.status, 200);
  EXPECT_EQ(list.body.find("ghp_"), std::string::npos);

  const auto patched =
      send("PATCH", "/api/v1/repositories/555", R"({"open_issues":false,"token":null})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::string_member(json::parse(patched.body), "token_source"), "none");
  EXPECT_FALSE(json::parse(patched.body)["open_issues"].GetBool());

  EXPECT_EQ(send("DELETE", "/api/v1/repositories/555").status, 204);
  EXPECT_FALSE(
      json::parse(client_.get(base_ + "/api/v1/repositories/555", {admin_}).body)["connected"]
          .GetBool());
  EXPECT_EQ(send("DELETE", "/api/v1/repositories/999").status, 404);
}

TEST_F(ApiRepositoriesTest, OnlyAdministratorsChangeRepositories) {
  const auto body = R"({"full_name":"octo/widgets","token":"ghp_x"})";
  EXPECT_EQ(send("POST", "/api/v1/repositories", body, "application/json", user_).status, 403);
  EXPECT_EQ(send("PATCH", "/api/v1/repositories/555", "{}", "application/json", user_).status, 403);
  EXPECT_EQ(send("DELETE", "/api/v1/repositories/555", "", "application/json", user_).status, 403);
  EXPECT_EQ(send("GET", "/api/v1/repositories", "", "application/json", user_).status, 200);
  EXPECT_EQ(send("POST", "/api/v1/incidents/1/acknowledge", "", "application/json", user_).status,
            200);
  // Without a token, or with a garbage one, nothing at all.
  for (const std::string as :
       {"Authorization: Bearer nonsense", "Authorization: Basic YTpi", "X-None: 1"}) {
    auto refused = send("GET", "/api/v1/repositories", "", "application/json", as);
    EXPECT_EQ(refused.status, 401) << as;
    EXPECT_EQ(refused.headers["content-type"], "application/problem+json");
    EXPECT_NE(refused.headers["www-authenticate"].find("Bearer"), std::string::npos);
  }
  EXPECT_EQ(database_.count("SELECT count(*) FROM repositories WHERE connected"), 0);
}

TEST_F(ApiRepositoriesTest, RefusesBadRepositoryRequests) {
  EXPECT_EQ(send("POST", "/api/v1/repositories", R"({"full_name":"no-slash"})").status, 400);
  EXPECT_EQ(send("POST", "/api/v1/repositories", R"({"full_name":"a/b'; DROP TABLE x;--"})").status,
            400);
  EXPECT_EQ(
      send("POST", "/api/v1/repositories", R"({"full_name":"octo/widgets","open_issues":"yes"})")
          .status,
      400);
  EXPECT_EQ(send("POST", "/api/v1/repositories", "{not json").status, 400);
  EXPECT_EQ(send("POST", "/api/v1/repositories", "[]").status, 400);
  EXPECT_EQ(
      send("POST", "/api/v1/repositories", R"({"full_name":"octo/widgets"})", "text/plain").status,
      415);
  // Unknown to us and no token to ask GitHub with.
  EXPECT_EQ(send("POST", "/api/v1/repositories", R"({"full_name":"octo/unknown"})").status, 404);
  EXPECT_EQ(send("PATCH", "/api/v1/repositories/abc", "{}").status, 400);
  EXPECT_EQ(send("POST", "/api/v1/repositories", std::string(2 * 1024 * 1024, ' ')).status, 413);
}

TEST_F(ApiRepositoriesTest, AcknowledgesAndResolvesIncidentsOnce) {
  const auto ack = send("POST", "/api/v1/incidents/1/acknowledge");
  ASSERT_EQ(ack.status, 200) << ack.body;
  EXPECT_EQ(json::string_member(json::parse(ack.body), "state"), "acknowledged");
  EXPECT_EQ(send("POST", "/api/v1/incidents/1/acknowledge").status, 200);  // idempotent
  const auto resolved = send("POST", "/api/v1/incidents/1/resolve");
  ASSERT_EQ(resolved.status, 200);
  EXPECT_EQ(json::string_member(json::parse(resolved.body), "resolution"), "manual");
  EXPECT_EQ(send("POST", "/api/v1/incidents/1/acknowledge").status, 409);
  EXPECT_EQ(send("POST", "/api/v1/incidents/42/resolve").status, 404);
  // Each change once on the outbox, with the state it made.
  EXPECT_EQ(database_.scalar("SELECT string_agg(event_type, ',' ORDER BY id) FROM outbox"),
            "acknowledged,resolved");
}

}  // namespace
}  // namespace faultline::testing
