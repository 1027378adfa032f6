// The audit log over a real database and the real binary: every
// authentication decision, administrative action and access-control refusal
// is one row with the right fields; no secret reaches any column; hostile
// input stays bounded; GET /api/v1/audit-log filters, pages and revalidates;
// concurrent logins keep the chain whole; `faultline-api audit verify`
// finds every kind of tampering, before and after `audit prune`.

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <regex>
#include <thread>

#include "api/audit/audit_record.hpp"
#include "common/json.hpp"
#include "common/time.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/fake_github.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"

namespace faultline::testing {
namespace {

using Row = std::map<std::string, std::string>;

constexpr const char* kClientSecret = "oauth-client-secret-for-audit";
constexpr const char* kMasters = "audit-webhook-master";
const std::string kEncryptionKey(64, 'c');
constexpr const char* kOtherPassword = "another long passphrase 42";

std::string refresh_body(const std::string& token) {
  return json::object([&](json::Writer& out) {
    out.Key("refresh_token");
    json::write(out, token);
  });
}

std::string query_value(const std::string& url, const std::string& name) {
  const std::regex pattern("[?&]" + name + "=([^&]*)");
  std::smatch match;
  return std::regex_search(url, match, pattern) ? match[1].str() : "";
}

// The audit rows after `after`, oldest first, every column as text ("" for NULL).
std::vector<Row> rows_after(const TestDatabase& database, long long after) {
  const auto text = database.scalar(
      "SELECT COALESCE(json_agg((SELECT json_object_agg(key, COALESCE(value, ''))"
      " FROM json_each_text(row_to_json(a))) ORDER BY a.id), '[]')::text"
      " FROM audit_log a WHERE a.id > " +
      std::to_string(after));
  std::vector<Row> rows;
  const auto parsed = json::parse(text);
  for (const auto& item : parsed.GetArray()) {
    Row row;
    for (const auto& member : item.GetObject())
      row[member.name.GetString()] = member.value.GetString();
    rows.push_back(std::move(row));
  }
  return rows;
}

long long last_id(const TestDatabase& database) {
  return database.count("SELECT COALESCE(max(id), 0) FROM audit_log");
}

// faultline-api with `arguments` on `database`: its exit status (and what it printed).
int run_api(const TestDatabase& database, std::vector<std::string> arguments,
            std::string* output = nullptr, const std::string& encryption_keys = kEncryptionKey) {
  arguments.insert(arguments.begin(), binary("faultline-api"));
  ChildProcess process(
      std::move(arguments),
      {{"FAULTLINE_DATABASE_URL", database.url()}, {"FAULTLINE_ENCRYPTION_KEY", encryption_keys}},
      scratch_path("audit-command.log"));
  const int status = process.wait(std::chrono::seconds(60));
  if (output)
    *output = process.log();
  return status;
}

class ApiAuditTest : public ::testing::Test {
 protected:
  void SetUp() override {
    github_.set_oauth_app("audit-client", kClientSecret);
    github_.add_user("octocat", 583231, R"([{"id":7002,"full_name":"octocat/repo-1002"}])");
    start({});
  }

  void start(const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> environment{
        {"FAULTLINE_GITHUB_API_URL", github_.url()},
        {"FAULTLINE_GITHUB_WEB_URL", github_.url()},
        {"FAULTLINE_GITHUB_OAUTH_CLIENT_ID", "audit-client"},
        {"FAULTLINE_GITHUB_OAUTH_CLIENT_SECRET", kClientSecret},
        {"FAULTLINE_PUBLIC_URL", "https://faultline.example.com"},
        {"FAULTLINE_WEBHOOK_SECRETS", kMasters},
        {"FAULTLINE_GITHUB_MUTATION_SPACING", "10ms"},
        {"FAULTLINE_ENCRYPTION_KEY", kEncryptionKey},
        {"FAULTLINE_AUTH_REFRESH_GRACE", "1s"},
        {"FAULTLINE_AUTH_LOGIN_FAILURE_LIMIT", "3/15m"},
        {"FAULTLINE_AUTH_REGISTER_LIMIT", "2/10m"}};
    for (const auto& [name, value] : extra)
      environment[name] = value;
    api_.reset();
    api_ = std::make_unique<ApiProcess>(database_, environment);
    base_ = api_->base();
  }

  void accounts() {
    create_account(database_, "admin@example.com", "admin");
    create_account(database_, "user@example.com");
    admin_id_ = database_.scalar("SELECT id FROM users WHERE email = 'admin@example.com'");
    user_id_ = database_.scalar("SELECT id FROM users WHERE email = 'user@example.com'");
    admin_ = sign_in(client_, base_, "admin@example.com");
    user_ = sign_in(client_, base_, "user@example.com");
    remember(admin_);
    remember(user_);
  }

  void remember(const SignedIn& signed_in) {
    secrets_.push_back(signed_in.access_token);
    secrets_.push_back(signed_in.refresh_token);
    secrets_.push_back(signed_in.session_id);
  }

  HttpResponse send(const std::string& method, const std::string& path,
                    const std::string& body = "", std::vector<std::string> headers = {}) {
    headers.emplace_back("Content-Type: application/json");
    return client_.request(method, base_ + path, headers, body);
  }
  HttpResponse as(const SignedIn& who, const std::string& method, const std::string& path,
                  const std::string& body = "") {
    return send(method, path, body, {who.authorization()});
  }
  HttpResponse login(const std::string& email, const std::string& password,
                     const std::string& user_agent = "audit-test/1.0") {
    return send("POST", "/api/v1/auth/login", credentials(email, password),
                {"User-Agent: " + user_agent});
  }

  // The one row written since the last call, or a failure naming what came.
  Row only_row() {
    const auto rows = rows_after(database_, mark_);
    mark_ = last_id(database_);
    EXPECT_EQ(rows.size(), 1u) << describe(rows);
    return rows.empty() ? Row{} : rows.back();
  }
  void skip_rows() { mark_ = last_id(database_); }

  static std::string describe(const std::vector<Row>& rows) {
    std::string out;
    for (const auto& row : rows)
      out += row.at("id") + " " + row.at("action") + " " + row.at("target") + " " +
             row.at("outcome") + " " + row.at("reason") + "\n";
    return out;
  }

  // Every column of every audit row (and the chain tables), as one text.
  std::string everything() const {
    return database_.scalar(
               "SELECT COALESCE(string_agg(row_to_json(a)::text, E'\\n'), '') FROM audit_log a") +
           database_.scalar("SELECT row_to_json(h)::text FROM audit_chain_head h") +
           database_.scalar("SELECT row_to_json(c)::text FROM audit_chain_anchor c");
  }

  void expect_no_secrets() {
    const auto text = everything();
    ASSERT_FALSE(text.empty());
    for (const auto& secret : secrets_) {
      ASSERT_GE(secret.size(), 8u) << secret;
      EXPECT_EQ(text.find(secret), std::string::npos) << "in the audit log: " << secret;
    }
  }

  TestDatabase database_;
  FakeGitHub github_;
  std::unique_ptr<ApiProcess> api_;
  HttpClient client_;
  std::string base_, admin_id_, user_id_;
  SignedIn admin_, user_;
  long long mark_ = 0;
  std::vector<std::string> secrets_{kTestPassword,  kOtherPassword, kClientSecret,
                                    kTestJwtSecret, kMasters,       kEncryptionKey};
};

TEST_F(ApiAuditTest, EveryAuthenticationDecisionIsOneRow) {
  accounts();
  skip_rows();

  // A login: the account, its new session (hashed), where from.
  auto answer = login("user@example.com", kTestPassword);
  ASSERT_EQ(answer.status, 200) << answer.body;
  const auto document = json::parse(answer.body);
  const std::string session(json::string_member(document, "session_id").value_or(""));
  const std::string refresh(json::string_member(document, "refresh_token").value_or(""));
  secrets_.emplace_back(json::string_member(document, "access_token").value_or(""));
  secrets_.push_back(refresh);
  secrets_.push_back(session);
  auto row = only_row();
  EXPECT_EQ(row["action"], "authn_login_success");
  EXPECT_EQ(row["outcome"], "success");
  EXPECT_EQ(row["actor"], user_id_);
  EXPECT_EQ(row["target"], "user:" + user_id_);
  EXPECT_EQ(row["session_hash"], api::audit::session_hash(session));
  EXPECT_EQ(row["source_address"], "127.0.0.1");
  EXPECT_EQ(row["user_agent"], "audit-test/1.0");
  EXPECT_EQ(row["request_id"], answer.headers["x-request-id"]);
  EXPECT_EQ(row["request_id"].size(), 32u);

  // A wrong password and an unknown account: refused, never the email typed.
  EXPECT_EQ(login("user@example.com", kOtherPassword).status, 401);
  row = only_row();
  EXPECT_EQ(row["action"], "authn_login_fail");
  EXPECT_EQ(row["outcome"], "failure");
  EXPECT_EQ(row["actor"], "anonymous");
  EXPECT_EQ(row["target"], "user:" + user_id_);
  EXPECT_EQ(row["reason"], "wrong password");
  EXPECT_EQ(login(kOtherPassword, kOtherPassword).status, 401);
  row = only_row();
  EXPECT_EQ(row["action"], "authn_login_fail");
  EXPECT_EQ(row["target"], "");
  EXPECT_EQ(row["reason"], "no such account");

  // Two more failures reach the limit (3/15m); then even the right password waits.
  EXPECT_EQ(login("user@example.com", kOtherPassword).status, 401);
  EXPECT_EQ(login("user@example.com", kOtherPassword).status, 401);
  EXPECT_EQ(rows_after(database_, mark_).size(), 2u);
  skip_rows();
  EXPECT_EQ(login("user@example.com", kTestPassword).status, 429);
  row = only_row();
  EXPECT_EQ(row["action"], "authn_login_lock");
  EXPECT_EQ(row["outcome"], "failure");
  EXPECT_EQ(row["target"], "user:" + user_id_);

  // An unknown refresh token, then a retired one presented again (past the 1 s grace).
  EXPECT_EQ(send("POST", "/api/v1/auth/refresh", refresh_body("flr_not-a-token-at-all")).status,
            401);
  row = only_row();
  EXPECT_EQ(row["action"], "authn_token_invalid");
  EXPECT_EQ(row["outcome"], "failure");
  answer = send("POST", "/api/v1/auth/refresh", refresh_body(refresh));
  ASSERT_EQ(answer.status, 200) << answer.body;
  secrets_.emplace_back(
      json::string_member(json::parse(answer.body), "refresh_token").value_or(""));
  EXPECT_EQ(rows_after(database_, mark_).size(), 0u);  // a successful refresh is not a row
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(send("POST", "/api/v1/auth/refresh", refresh_body(refresh)).status, 401);
  row = only_row();
  EXPECT_EQ(row["action"], "authn_token_reuse");
  EXPECT_EQ(row["actor"], user_id_);
  EXPECT_EQ(row["target"], "session:" + api::audit::session_hash(session));
  EXPECT_EQ(row["session_hash"], api::audit::session_hash(session));

  // Logout, revoking one session, every other one, and logout-all.
  auto second = sign_in(client_, base_, "admin@example.com");
  auto third = sign_in(client_, base_, "admin@example.com");
  auto fourth = sign_in(client_, base_, "admin@example.com");
  remember(second);
  remember(third);
  remember(fourth);
  skip_rows();
  EXPECT_EQ(as(second, "POST", "/api/v1/auth/logout").status, 204);
  row = only_row();
  EXPECT_EQ(row["action"], "authn_logout");
  EXPECT_EQ(row["actor"], admin_id_);
  EXPECT_EQ(row["target"], "session:" + api::audit::session_hash(second.session_id));
  EXPECT_EQ(as(admin_, "POST", "/api/v1/auth/sessions/" + third.session_id + "/revoke").status,
            204);
  row = only_row();
  EXPECT_EQ(row["action"], "session_revoked");
  EXPECT_EQ(row["target"], "session:" + api::audit::session_hash(third.session_id));
  EXPECT_EQ(row["session_hash"], api::audit::session_hash(admin_.session_id));
  EXPECT_EQ(row["outcome"], "success");
  // Another user's session is refused as one that does not exist, and audited.
  EXPECT_EQ(as(admin_, "POST", "/api/v1/auth/sessions/" + user_.session_id + "/revoke").status,
            404);
  row = only_row();
  EXPECT_EQ(row["action"], "session_revoked");
  EXPECT_EQ(row["outcome"], "failure");
  EXPECT_EQ(row["target"], "session:" + api::audit::session_hash(user_.session_id));
  EXPECT_EQ(as(admin_, "POST", "/api/v1/auth/sessions/revoke-others").status, 200);
  row = only_row();
  EXPECT_EQ(row["action"], "session_revoked");
  EXPECT_EQ(row["target"], "user:" + admin_id_);
  EXPECT_NE(row["reason"].find("1 ended"), std::string::npos) << row["reason"];
  EXPECT_EQ(as(admin_, "POST", "/api/v1/auth/logout-all").status, 204);
  row = only_row();
  EXPECT_EQ(row["action"], "authn_logout_all");
  EXPECT_EQ(row["target"], "user:" + admin_id_);

  // Registering is user_created; the address's limit (2/10m) refusing is its own row.
  EXPECT_EQ(
      send("POST", "/api/v1/auth/register", credentials("new1@example.com", kOtherPassword)).status,
      201);
  row = only_row();
  EXPECT_EQ(row["action"], "user_created");
  EXPECT_EQ(row["actor"], "anonymous");
  EXPECT_EQ(row["target"],
            "user:" + database_.scalar("SELECT id FROM users WHERE email = 'new1@example.com'"));
  EXPECT_EQ(
      send("POST", "/api/v1/auth/register", credentials("new2@example.com", kOtherPassword)).status,
      201);
  skip_rows();
  EXPECT_EQ(
      send("POST", "/api/v1/auth/register", credentials("new3@example.com", kOtherPassword)).status,
      429);
  row = only_row();
  EXPECT_EQ(row["action"], "excess_rate_limit_exceeded");
  EXPECT_EQ(row["target"], "POST /api/v1/auth/register");
  EXPECT_NE(row["reason"].find("register"), std::string::npos);

  // The counter on /metrics.
  const auto metrics = client_.get(base_ + "/metrics");
  EXPECT_NE(metrics.body.find(
                R"(faultline_api_audit_rows_total{action="authn_login_fail",outcome="failure"} 4)"),
            std::string::npos)
      << metrics.body.substr(0, 2000);

  expect_no_secrets();
  std::string output;
  EXPECT_EQ(run_api(database_, {"audit", "verify"}, &output), 0) << output;
}

TEST_F(ApiAuditTest, AccessRefusalsAreAuthzFailRows) {
  accounts();
  skip_rows();
  EXPECT_EQ(send("GET", "/api/v1/incidents").status, 401);
  auto row = only_row();
  EXPECT_EQ(row["action"], "authz_fail");
  EXPECT_EQ(row["outcome"], "failure");
  EXPECT_EQ(row["actor"], "anonymous");
  EXPECT_EQ(row["target"], "GET /api/v1/incidents");
  EXPECT_EQ(row["reason"].rfind("401: ", 0), 0u) << row["reason"];
  EXPECT_EQ(row["session_hash"], "");

  EXPECT_EQ(send("GET", "/api/v1/auth/me", "", {"Authorization: Bearer not.a.token"}).status, 401);
  row = only_row();
  EXPECT_EQ(row["action"], "authz_fail");
  EXPECT_EQ(row["target"], "GET /api/v1/auth/me");
  EXPECT_NE(row["reason"].find("not valid"), std::string::npos) << row["reason"];

  EXPECT_EQ(as(user_, "GET", "/api/v1/audit-log").status, 403);
  row = only_row();
  EXPECT_EQ(row["action"], "authz_fail");
  EXPECT_EQ(row["actor"], user_id_);
  EXPECT_EQ(row["target"], "GET /api/v1/audit-log");
  EXPECT_EQ(row["session_hash"], api::audit::session_hash(user_.session_id));
  EXPECT_EQ(row["reason"], "403: This needs an administrator.");

  EXPECT_EQ(as(user_, "PATCH", "/api/v1/repositories/1", R"({"open_issues":false})").status, 403);
  row = only_row();
  EXPECT_EQ(row["target"], "PATCH /api/v1/repositories/:id");

  // A 403 a handler gives (only administrators assign tickets) is one too.
  const auto ticket = as(user_, "POST", "/api/v1/support/tickets",
                         R"({"subject":"help","body":"please","priority":"low"})");
  ASSERT_EQ(ticket.status, 201) << ticket.body;
  const auto ticket_id =
      std::to_string(json::integer_member(json::parse(ticket.body), "id").value_or(0));
  skip_rows();
  EXPECT_EQ(as(user_, "PATCH", "/api/v1/support/tickets/" + ticket_id,
               R"({"assignee_id":)" + admin_id_ + "}")
                .status,
            403);
  row = only_row();
  EXPECT_EQ(row["action"], "authz_fail");
  EXPECT_EQ(row["target"], "PATCH /api/v1/support/tickets/:id");
  EXPECT_EQ(row["reason"], "403: Only an administrator assigns tickets.");

  // A public route's own 401 (a wrong password) is its own action, not authz_fail.
  EXPECT_EQ(login("user@example.com", kOtherPassword).status, 401);
  EXPECT_EQ(only_row()["action"], "authn_login_fail");
  expect_no_secrets();
}

TEST_F(ApiAuditTest, EveryAdministrativeActionIsOneRow) {
  accounts();
  skip_rows();

  // GitHub connected through the OAuth flow: the token is sealed, never logged.
  auto answer = as(admin_, "POST", "/api/v1/oauth/github/authorize");
  ASSERT_EQ(answer.status, 200) << answer.body;
  EXPECT_EQ(rows_after(database_, mark_).size(), 0u);
  const std::string url(
      json::string_member(json::parse(answer.body), "authorization_url").value_or(""));
  const auto page =
      client_.get(url + "&redirect_uri=https%3A%2F%2Fdash.example%2Fcb&login=octocat");
  ASSERT_EQ(page.status, 302) << page.body;
  const auto location = page.headers.at("location");
  answer = as(admin_, "GET",
              "/api/v1/oauth/github/callback?code=" + query_value(location, "code") +
                  "&state=" + query_value(location, "state"));
  ASSERT_EQ(answer.status, 200) << answer.body;
  const auto tokens = json::parse(github_.tokens());
  ASSERT_EQ(tokens.MemberCount(), 1u);
  secrets_.emplace_back(tokens.MemberBegin()->name.GetString());
  secrets_.push_back(query_value(location, "code"));
  secrets_.push_back(query_value(location, "state"));
  auto row = only_row();
  EXPECT_EQ(row["action"], "github_connect");
  EXPECT_EQ(row["actor"], admin_id_);
  EXPECT_EQ(row["target"], "user:" + admin_id_);
  EXPECT_NE(row["reason"].find("octocat"), std::string::npos) << row["reason"];

  // Connecting a repository with its webhook: two actions, two rows.
  answer = as(admin_, "POST", "/api/v1/repositories",
              R"({"full_name":"octocat/repo-1002","create_webhook":true})");
  ASSERT_EQ(answer.status, 201) << answer.body;
  auto rows = rows_after(database_, mark_);
  skip_rows();
  ASSERT_EQ(rows.size(), 2u) << describe(rows);
  EXPECT_EQ(rows[0]["action"], "admin_repository_connect");
  EXPECT_EQ(rows[0]["target"], "repository:7002");
  EXPECT_EQ(rows[0]["outcome"], "success");
  EXPECT_EQ(rows[1]["action"], "admin_webhook_create");
  EXPECT_EQ(rows[1]["target"], "repository:7002");
  const auto hook_id =
      std::to_string(json::integer_member(json::parse(answer.body), "hook_id").value_or(0));
  EXPECT_EQ(rows[1]["reason"], "hook " + hook_id);

  // A token sealed, then removed, by PATCH.
  const std::string repository_token = "ghp_audit_repository_token_value";
  secrets_.push_back(repository_token);
  ASSERT_EQ(as(admin_, "PATCH", "/api/v1/repositories/7002",
               R"({"token":")" + repository_token + R"(","open_issues":false})")
                .status,
            200);
  row = only_row();
  EXPECT_EQ(row["action"], "admin_repository_update");
  EXPECT_EQ(row["target"], "repository:7002");
  EXPECT_NE(row["reason"].find("token sealed under key "), std::string::npos) << row["reason"];
  EXPECT_NE(row["reason"].find("open_issues false"), std::string::npos) << row["reason"];

  // A GitLab project is named by GitLab's own id, never the stored (negated) one.
  database_.execute(
      "INSERT INTO repositories (id, full_name, provider) VALUES (-7002, 'group/sub/app', "
      "'gitlab')");
  ASSERT_EQ(
      as(admin_, "PATCH", "/api/v1/repositories/7002?provider=gitlab", R"({"reconcile":false})")
          .status,
      200);
  row = only_row();
  EXPECT_EQ(row["action"], "admin_repository_update");
  EXPECT_EQ(row["target"], "gitlab-project:7002");

  // A rerun asks GitHub with that token.
  database_.execute(
      "INSERT INTO workflow_runs (repository_id, run_id, run_attempt, status, conclusion)"
      " VALUES (7002, 98765, 1, 'completed', 'failure')");
  ASSERT_EQ(as(admin_, "POST", "/api/v1/workflow-runs/98765/rerun", R"({"failed_jobs_only":true})")
                .status,
            202);
  row = only_row();
  EXPECT_EQ(row["action"], "workflow_rerun");
  EXPECT_EQ(row["target"], "run:98765");
  EXPECT_EQ(row["reason"], "failed jobs");

  ASSERT_EQ(as(admin_, "PATCH", "/api/v1/repositories/7002", R"({"token":null})").status, 200);
  row = only_row();
  EXPECT_EQ(row["action"], "admin_repository_update");
  EXPECT_EQ(row["reason"], "token removed");

  // Disconnecting deletes the hook; an unknown repository is a failure row.
  ASSERT_EQ(as(admin_, "DELETE", "/api/v1/repositories/7002").status, 204);
  row = only_row();
  EXPECT_EQ(row["action"], "admin_repository_disconnect");
  EXPECT_EQ(row["target"], "repository:7002");
  EXPECT_EQ(row["reason"], "token and hook forgotten; webhook " + hook_id + " deleted");
  EXPECT_EQ(as(admin_, "DELETE", "/api/v1/repositories/999").status, 404);
  row = only_row();
  EXPECT_EQ(row["action"], "admin_repository_disconnect");
  EXPECT_EQ(row["target"], "repository:999");
  EXPECT_EQ(row["outcome"], "failure");
  EXPECT_EQ(row["reason"], "No repository 999.");

  // A status event, and GitHub disconnected (the token revoked there).
  answer = as(admin_, "POST", "/api/v1/status/events",
              R"({"service":"api","status":"degraded","message":"slow"})");
  ASSERT_EQ(answer.status, 201) << answer.body;
  row = only_row();
  EXPECT_EQ(row["action"], "admin_status_event_create");
  EXPECT_EQ(row["target"],
            "status_event:" +
                std::to_string(json::integer_member(json::parse(answer.body), "id").value_or(0)));
  ASSERT_EQ(as(admin_, "DELETE", "/api/v1/oauth/github/connection").status, 204);
  row = only_row();
  EXPECT_EQ(row["action"], "github_disconnect");
  EXPECT_EQ(row["reason"], "token revoked at GitHub and removed");

  // The operator's commands: reseal under a new key, create-user. Actor: system.
  const std::string new_key(64, 'd');
  secrets_.push_back(new_key);
  std::string output;
  ASSERT_EQ(run_api(database_, {"reseal"}, &output, new_key + "," + kEncryptionKey), 0) << output;
  row = only_row();
  EXPECT_EQ(row["action"], "admin_token_reseal");
  EXPECT_EQ(row["actor"], "system");
  EXPECT_EQ(row["target"], "tokens");
  EXPECT_EQ(row["source_address"], "");
  {
    ChildProcess create({"/bin/sh", "-c",
                         "printf '%s\\n' \"$PASSWORD\" | \"$API\" create-user --email"
                         " ops@example.com --role admin --password-stdin"},
                        {{"FAULTLINE_DATABASE_URL", database_.url()},
                         {"PASSWORD", kOtherPassword},
                         {"API", binary("faultline-api")}},
                        scratch_path("create-user.log"));
    ASSERT_EQ(create.wait(std::chrono::seconds(60)), 0) << create.log();
  }
  row = only_row();
  EXPECT_EQ(row["action"], "user_created");
  EXPECT_EQ(row["actor"], "system");
  EXPECT_EQ(row["reason"], "faultline-api create-user; role admin");

  expect_no_secrets();
  EXPECT_EQ(run_api(database_, {"audit", "verify"}, &output), 0) << output;
}

TEST_F(ApiAuditTest, HostileHeadersStayBoundedAndPrintable) {
  accounts();
  skip_rows();
  std::string agent = "evil\x01\x1b[31m\x7f\xc3\xa9\ttab";
  agent += std::string(10'000, 'A');
  EXPECT_EQ(login("user@example.com", kOtherPassword, agent).status, 401);
  auto row = only_row();
  EXPECT_EQ(row["user_agent"].size(), 512u);
  EXPECT_EQ(row["user_agent"].rfind("evil[31mtab", 0), 0u) << row["user_agent"].substr(0, 40);
  for (const char c : row["user_agent"])
    EXPECT_TRUE(c >= 0x20 && c < 0x7f) << static_cast<int>(c);

  // A request id of the client's own is kept when it is plain, replaced otherwise.
  auto answer = send("GET", "/api/v1/incidents", "", {"X-Request-Id: trace-42.a_b:c"});
  EXPECT_EQ(answer.headers["x-request-id"], "trace-42.a_b:c");
  EXPECT_EQ(only_row()["request_id"], "trace-42.a_b:c");
  answer = send("GET", "/api/v1/incidents", "",
                {"X-Request-Id: " + std::string(65, 'x'), "User-Agent: x"});
  row = only_row();
  EXPECT_EQ(row["request_id"].size(), 32u);
  EXPECT_EQ(answer.headers["x-request-id"], row["request_id"]);
  answer = send("GET", "/api/v1/incidents", "", {"X-Request-Id: <script>"});
  EXPECT_EQ(only_row()["request_id"].size(), 32u);
}

TEST_F(ApiAuditTest, TheListIsForAdministratorsFilteredPagedAndConditional) {
  accounts();
  EXPECT_EQ(login("user@example.com", kOtherPassword).status, 401);
  EXPECT_EQ(login("user@example.com", kOtherPassword).status, 401);
  EXPECT_EQ(send("GET", "/api/v1/incidents").status, 401);

  EXPECT_EQ(send("GET", "/api/v1/audit-log").status, 401);
  EXPECT_EQ(as(user_, "GET", "/api/v1/audit-log").status, 403);

  auto answer = as(admin_, "GET", "/api/v1/audit-log?action=authn_login_fail&outcome=failure");
  ASSERT_EQ(answer.status, 200) << answer.body;
  auto list = json::parse(answer.body);
  EXPECT_EQ(json::integer_member(list, "total"), 2);
  ASSERT_EQ(list["items"].Size(), 2u);
  const auto& newest = list["items"][0];
  EXPECT_EQ(json::string_member(newest, "action"), "authn_login_fail");
  EXPECT_EQ(json::string_member(newest, "target"), "user:" + user_id_);
  EXPECT_EQ(json::string_member(newest, "actor"), "anonymous");
  EXPECT_TRUE(newest["session_hash"].IsNull());
  EXPECT_EQ(std::string(json::string_member(newest, "hash").value_or("")).size(), 64u);
  const std::string at(json::string_member(newest, "at").value_or(""));
  EXPECT_TRUE(std::regex_match(at, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)"))) << at;
  EXPECT_GT(*json::integer_member(newest, "id"), *json::integer_member(list["items"][1], "id"));

  answer = as(admin_, "GET", "/api/v1/audit-log?actor=" + user_id_);
  list = json::parse(answer.body);
  EXPECT_EQ(json::integer_member(list, "total"), 2) << answer.body;  // its login, its 403
  answer = as(admin_, "GET", "/api/v1/audit-log?target=GET%20/api/v1/incidents");
  EXPECT_EQ(json::integer_member(json::parse(answer.body), "total"), 1) << answer.body;

  // Time windows: everything so far is before now and after an hour ago.
  answer =
      as(admin_, "GET", "/api/v1/audit-log?since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z");
  EXPECT_EQ(json::integer_member(json::parse(answer.body), "total"), 0) << answer.body;
  answer = as(admin_, "GET", "/api/v1/audit-log?since=2000-01-01T00:00:00%2B02:00");
  const auto all = json::integer_member(json::parse(answer.body), "total").value_or(0);
  EXPECT_GE(all, 6) << answer.body;

  // Pages, and a 304 for a page that did not change.
  answer = as(admin_, "GET", "/api/v1/audit-log?outcome=success&page_size=2&page=1");
  ASSERT_EQ(answer.status, 200);
  list = json::parse(answer.body);
  EXPECT_EQ(list["items"].Size(), 2u);
  EXPECT_EQ(json::integer_member(list, "page_size"), 2);
  const auto etag = answer.headers["etag"];
  ASSERT_FALSE(etag.empty());
  EXPECT_EQ(answer.headers["cache-control"], "private, no-cache");
  EXPECT_EQ(send("GET", "/api/v1/audit-log?outcome=success&page_size=2&page=1", "",
                 {admin_.authorization(), "If-None-Match: " + etag})
                .status,
            304);

  // Bad filters: 400 problems that say what is wrong.
  for (const auto& [query, says] : std::vector<std::pair<std::string, std::string>>{
           {"action=authn_everything", "action must be one of"},
           {"outcome=maybe", "outcome"},
           {"since=yesterday", "since must be an RFC 3339"},
           {"until=2026-12-01", "until must be an RFC 3339"},
           {"since=2026-12-02T00:00:00Z&until=2026-12-01T00:00:00Z", "since must not be after"},
           {"actor=" + std::string(65, 'a'), "actor must be at most 64"},
           {"target=%01", "target must be at most"},
           {"page_size=1000", "page_size"}}) {
    answer = as(admin_, "GET", "/api/v1/audit-log?" + query);
    EXPECT_EQ(answer.status, 400) << query;
    EXPECT_EQ(answer.headers["content-type"], "application/problem+json") << query;
    EXPECT_NE(answer.body.find(says), std::string::npos) << query << ": " << answer.body;
  }
}

TEST_F(ApiAuditTest, ConcurrentLoginsKeepTheChainVerifiable) {
  accounts();
  const auto before = last_id(database_);
  constexpr int kEach = 6;
  std::vector<std::thread> threads;
  std::atomic<int> accepted{0}, refused{0};
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      HttpClient client;
      for (int i = 0; i < kEach; ++i) {
        const auto answer =
            client.request("POST", base_ + "/api/v1/auth/login", {"Content-Type: application/json"},
                           credentials(t == 0 ? "admin@example.com" : "user@example.com",
                                       i % 3 == 2 ? kOtherPassword : kTestPassword));
        (answer.status == 200 ? accepted : refused)++;
      }
    });
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(accepted + refused, 2 * kEach);
  EXPECT_EQ(last_id(database_) - before, 2 * kEach);
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log"), last_id(database_));
  std::string output;
  EXPECT_EQ(run_api(database_, {"audit", "verify"}, &output), 0) << output;
  EXPECT_NE(output.find("audit log verified: " + std::to_string(last_id(database_)) + " rows"),
            std::string::npos)
      << output;
}

// Tampering: any field of a row changed, a row deleted, two rows swapped,
// rows cut off the end; then pruning keeps the chain verifiable and
// tampering after it is still found.
class AuditChainTest : public ApiAuditTest {
 protected:
  void SetUp() override {
    ApiAuditTest::SetUp();
    accounts();
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(send("GET", "/api/v1/incidents").status, 401);
    rows_ = last_id(database_);
    ASSERT_EQ(rows_, 6);
    database_.execute("CREATE TABLE audit_backup AS SELECT * FROM audit_log");
    database_.execute("CREATE TABLE head_backup AS SELECT * FROM audit_chain_head");
  }

  void restore() {
    database_.execute("DELETE FROM audit_log");
    database_.execute("INSERT INTO audit_log SELECT * FROM audit_backup");
    database_.execute("DELETE FROM audit_chain_head");
    database_.execute("INSERT INTO audit_chain_head SELECT * FROM head_backup");
  }

  // verify's exit status and the row it names ("" when none).
  std::pair<int, std::string> verify() {
    std::string output;
    const int status = run_api(database_, {"audit", "verify"}, &output);
    std::smatch match;
    std::regex_search(output, match, std::regex("audit log broken at row (\\d+): [^\n]*"));
    return {status, match.empty() ? "" : match[1].str() + " " + match[0].str()};
  }

  void expect_broken_at(const std::string& tampering, int row) {
    const auto [status, named] = verify();
    EXPECT_EQ(status, 1) << tampering;
    EXPECT_EQ(named.substr(0, named.find(' ')), std::to_string(row)) << tampering << ": " << named;
  }

  long long rows_ = 0;
};

TEST_F(AuditChainTest, VerifyFindsEveryKindOfTampering) {
  std::string output;
  ASSERT_EQ(run_api(database_, {"audit", "verify"}, &output), 0) << output;
  EXPECT_NE(output.find("audit log verified: 6 rows (1 to 6)"), std::string::npos) << output;

  const std::vector<std::pair<std::string, std::string>> changes{
      {"at", "at + interval '1 microsecond'"},
      {"actor", "'0'"},
      {"source_address", "'10.0.0.1'"},
      {"user_agent", "user_agent || 'x'"},
      {"session_hash", "repeat('a', 64)"},
      {"action", "'authn_login_success'"},
      {"target", "'user:0'"},
      {"outcome", "'success'"},
      {"reason", "'nothing to see'"},
      {"request_id", "'r'"},
      {"previous_hash", "repeat('b', 64)"},
      {"hash", "repeat('c', 64)"}};
  for (const auto& [column, value] : changes) {
    database_.execute("UPDATE audit_log SET " + column + " = " + value + " WHERE id = 4");
    expect_broken_at("UPDATE of " + column, 4);
    restore();
  }
  ASSERT_EQ(run_api(database_, {"audit", "verify"}, &output), 0) << output;

  database_.execute("UPDATE audit_log SET id = 100 WHERE id = 4");
  expect_broken_at("UPDATE of id", 4);
  restore();

  database_.execute("DELETE FROM audit_log WHERE id = 3");
  expect_broken_at("DELETE of a middle row", 3);
  restore();

  // Rows 3 and 4 exchange everything but their ids.
  database_.execute(
      "UPDATE audit_log a SET at = b.at, actor = b.actor, source_address = b.source_address,"
      " user_agent = b.user_agent, session_hash = b.session_hash, action = b.action,"
      " target = b.target, outcome = b.outcome, reason = b.reason, request_id = b.request_id,"
      " previous_hash = b.previous_hash, hash = b.hash"
      " FROM audit_backup b WHERE (a.id, b.id) IN ((3, 4), (4, 3))");
  expect_broken_at("a swapped pair", 3);
  restore();

  // The last row deleted: the head still names it.
  database_.execute("DELETE FROM audit_log WHERE id = 6");
  expect_broken_at("DELETE of the last row", 6);
  restore();
  EXPECT_EQ(verify().first, 0);
}

TEST_F(AuditChainTest, PruningKeepsTheChainVerifiable) {
  // Rows before the 4th one's time go; a tampered row among them stops the prune.
  const auto cutoff = database_.scalar(
      "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
      " FROM audit_log WHERE id = 4");
  std::string output;
  database_.execute("UPDATE audit_log SET reason = 'rewritten' WHERE id = 2");
  EXPECT_EQ(run_api(database_, {"audit", "prune", "--before", cutoff}, &output), 1) << output;
  EXPECT_NE(output.find("row 2"), std::string::npos) << output;
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log"), 6);
  restore();

  ASSERT_EQ(run_api(database_, {"audit", "prune", "--before", cutoff}, &output), 0) << output;
  EXPECT_NE(output.find("audit log pruned: 3 rows"), std::string::npos) << output;
  EXPECT_EQ(database_.scalar("SELECT min(id) FROM audit_log"), "4");
  EXPECT_EQ(database_.scalar("SELECT last_id FROM audit_chain_anchor"), "3");
  EXPECT_EQ(database_.scalar("SELECT last_hash FROM audit_chain_anchor"),
            database_.scalar("SELECT hash FROM audit_backup WHERE id = 3"));
  const auto pruned = rows_after(database_, 6);
  ASSERT_EQ(pruned.size(), 1u);
  EXPECT_EQ(pruned[0].at("action"), "audit_log_pruned");
  EXPECT_EQ(pruned[0].at("actor"), "system");
  ASSERT_EQ(run_api(database_, {"audit", "verify"}, &output), 0) << output;
  EXPECT_NE(output.find("audit log verified: 4 rows (4 to 7)"), std::string::npos) << output;

  // Tampering after the prune is still found: a kept row, or the anchor itself.
  database_.execute("UPDATE audit_log SET actor = 'system' WHERE id = 5");
  expect_broken_at("UPDATE after prune", 5);
  database_.execute(
      "UPDATE audit_log SET actor = (SELECT actor FROM audit_backup WHERE id = 5)"
      " WHERE id = 5");
  EXPECT_EQ(verify().first, 0);
  database_.execute("DELETE FROM audit_log WHERE id = 4");
  expect_broken_at("DELETE of the first kept row", 4);
  database_.execute("INSERT INTO audit_log SELECT * FROM audit_backup WHERE id = 4");
  database_.execute("UPDATE audit_chain_anchor SET last_hash = repeat('0', 64)");
  expect_broken_at("a forged anchor", 4);
  database_.execute(
      "UPDATE audit_chain_anchor SET last_hash ="
      " (SELECT hash FROM audit_backup WHERE id = 3)");
  EXPECT_EQ(verify().first, 0);

  // New rows chain on; pruning everything leaves only the prune's own row.
  EXPECT_EQ(send("GET", "/api/v1/incidents").status, 401);
  ASSERT_EQ(run_api(database_, {"audit", "prune", "--before", "2999-01-01T00:00:00Z"}, &output), 0)
      << output;
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log"), 1);
  ASSERT_EQ(run_api(database_, {"audit", "verify"}, &output), 0) << output;
  EXPECT_NE(output.find("audit log verified: 1 rows"), std::string::npos) << output;
  database_.execute("UPDATE audit_log SET reason = 'x'");
  EXPECT_EQ(verify().first, 1);

  // --before must be a date-time.
  EXPECT_EQ(run_api(database_, {"audit", "prune", "--before", "yesterday"}, &output), 2);
}

TEST(AuditRetention, TheApiPrunesRowsPastTheRetentionOnItsCleanupJob) {
  TestDatabase database;
  std::string output;
  ASSERT_EQ(run_api(database, {"migrate"}, &output), 0) << output;
  // Three rows of 400 days ago and one of today, chained as the API chains them.
  std::string previous(api::audit::kGenesisHash);
  for (int id = 1; id <= 4; ++id) {
    api::audit::Record r;
    r.id = id;
    r.at =
        database.scalar(id < 4 ? "SELECT " FAULTLINE_SQL_RFC3339_US("now() - interval '400 days'")
                               : "SELECT " FAULTLINE_SQL_RFC3339_US("now()"));
    r.actor = "system";
    r.action = "admin_token_reseal";
    r.outcome = "success";
    r.previous_hash = previous;
    r.hash = api::audit::chain_hash(r);
    previous = r.hash;
    database.execute(
        "INSERT INTO audit_log (id, at, actor, action, outcome, previous_hash, hash)"
        " VALUES (" +
        std::to_string(id) + ", '" + r.at +
        "', 'system', 'admin_token_reseal',"
        " 'success', '" +
        r.previous_hash + "', '" + r.hash + "')");
  }
  database.execute("UPDATE audit_chain_head SET last_id = 4, last_hash = '" + previous + "'");
  ASSERT_EQ(run_api(database, {"audit", "verify"}, &output), 0) << output;

  ApiProcess api(database, {{"FAULTLINE_API_CLEANUP_INTERVAL", "200ms"},
                            {"FAULTLINE_AUDIT_RETENTION_DAYS", "365"}});
  EXPECT_EQ(database.wait_for_count(
                "SELECT count(*) FROM audit_log WHERE action = 'audit_log_pruned'", 1),
            1);
  EXPECT_EQ(database.scalar("SELECT string_agg(id::text, ',' ORDER BY id) FROM audit_log"), "4,5");
  EXPECT_EQ(database.scalar("SELECT last_id FROM audit_chain_anchor"), "3");
  ASSERT_EQ(run_api(database, {"audit", "verify"}, &output), 0) << output;
  EXPECT_NE(output.find("audit log verified: 2 rows (4 to 5)"), std::string::npos) << output;
}

}  // namespace
}  // namespace faultline::testing
