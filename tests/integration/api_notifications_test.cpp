// faultline-api's notification channels, rules and deliveries over a real
// database, with the fake receivers for the test message.

#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <memory>

#include "common/json.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/fake_notify.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

constexpr const char* kWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kRoutingKey = "R0UT1NGKEY0123456789abcdefABCDEF";

class ApiNotificationsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = std::make_unique<ApiProcess>(
        database_,
        std::map<std::string, std::string>{{"FAULTLINE_ENCRYPTION_KEY", std::string(64, 'c')},
                                           {"FAULTLINE_NOTIFY_ALLOW_HTTP", "1"},
                                           {"FAULTLINE_NOTIFY_ALLOW_PRIVATE", "1"}});
    base_ = api_->base();
    admin_ = new_account(database_, client_, base_, "admin@example.com", "admin").authorization();
    user_ = new_account(database_, client_, base_, "user@example.com").authorization();
    receivers_.set_webhook_secrets("ops", std::string("[\"") + kWebhookSecret + "\"]");
  }

  HttpResponse send(const std::string& method, const std::string& path,
                    const std::string& body = "", const std::string& as = "",
                    const std::string& type = "application/json") {
    return client_.request(method, base_ + path,
                           {"Content-Type: " + type, as.empty() ? admin_ : as}, body);
  }

  std::string slack_url() const { return receivers_.url() + "/slack/T000/B000/s3cr3tpath"; }

  long long create(const std::string& body) {
    const auto created = send("POST", "/api/v1/notification-channels", body);
    EXPECT_EQ(created.status, 201) << created.body;
    return json::integer_member(json::parse(created.body), "id").value_or(0);
  }

  long long slack() {
    return create(R"({"kind":"slack","name":"CI alerts","webhook_url":")" + slack_url() + "\"}");
  }
  long long webhook() {
    return create(R"({"kind":"webhook","name":"ops","url":")" + receivers_.url() +
                  R"(/webhook/ops","secrets":[")" + kWebhookSecret + "\"]}");
  }
  long long pagerduty() {
    return create(R"({"kind":"pagerduty","name":"on-call","routing_key":")" +
                  std::string(kRoutingKey) + R"(","url":")" + receivers_.url() +
                  "/pagerduty/v2/enqueue\"}");
  }

  // Every column of every audit row, joined: where no secret may appear.
  std::string audit_text() const {
    return database_.scalar(
        "SELECT COALESCE(string_agg(concat_ws('|', actor, action, target,"
        " outcome, reason), '\n' ORDER BY id), '') FROM audit_log");
  }

  TestDatabase database_;
  FakeNotify receivers_;
  std::unique_ptr<ApiProcess> api_;
  std::string base_;
  std::string admin_, user_;
  HttpClient client_;
};

TEST_F(ApiNotificationsTest, ChannelsKeepTheirSecretsSealedAndNeverShowThem) {
  const auto created =
      send("POST", "/api/v1/notification-channels",
           R"({"kind":"slack","name":"CI alerts","webhook_url":")" + slack_url() + "\"}");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto doc = json::parse(created.body);
  const auto id = json::integer_member(doc, "id").value_or(0);
  EXPECT_EQ(created.headers.at("location"), "/api/v1/notification-channels/" + std::to_string(id));
  EXPECT_EQ(json::string_member(doc, "kind"), "slack");
  EXPECT_TRUE(doc["url"].IsNull());
  EXPECT_TRUE(doc["enabled"].GetBool());
  EXPECT_EQ(json::string_member(doc, "secret_key_id").value_or("").size(), 8u);
  webhook();
  pagerduty();

  for (const auto& answer : std::vector<HttpResponse>{
           created, send("GET", "/api/v1/notification-channels"),
           send("GET", "/api/v1/notification-channels/" + std::to_string(id))}) {
    EXPECT_EQ(answer.body.find("s3cr3tpath"), std::string::npos) << answer.body;
    EXPECT_EQ(answer.body.find("whsec_"), std::string::npos) << answer.body;
    EXPECT_EQ(answer.body.find(kRoutingKey), std::string::npos) << answer.body;
  }
  EXPECT_EQ(
      json::integer_member(json::parse(send("GET", "/api/v1/notification-channels").body), "total"),
      3);
  // Sealed at rest, and nowhere in the audit log.
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_channels WHERE secret_ciphertext"
                            " LIKE '%s3cr3t%' OR secret_ciphertext LIKE '%whsec_%' OR"
                            " secret_ciphertext LIKE '%R0UT1NG%'"),
            0);
  const auto audit = audit_text();
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log WHERE action ="
                            " 'admin_notification_channel_create' AND outcome = 'success'"),
            3);
  for (const char* secret : {"s3cr3tpath", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", kRoutingKey})
    EXPECT_EQ(audit.find(secret), std::string::npos) << audit;

  // A new secret replaces the old one; a disabled channel is enabled again.
  database_.execute(
      "UPDATE notification_channels SET enabled = false, disabled_at = now(),"
      " disabled_reason = 'gone' WHERE id = " +
      std::to_string(id));
  const auto patched = send("PATCH", "/api/v1/notification-channels/" + std::to_string(id),
                            R"({"enabled":true,"webhook_url":")" + slack_url() + "2\"}");
  ASSERT_EQ(patched.status, 200) << patched.body;
  const auto after = json::parse(patched.body);
  EXPECT_TRUE(after["enabled"].GetBool());
  EXPECT_TRUE(after["disabled_reason"].IsNull());
  EXPECT_EQ(patched.body.find("s3cr3t"), std::string::npos);
  EXPECT_EQ(database_
                .scalar("SELECT reason FROM audit_log WHERE action ="
                        " 'admin_notification_channel_update' ORDER BY id DESC LIMIT 1")
                .rfind("enabled; webhook_url; sealed under key ", 0),
            0u);

  EXPECT_EQ(send("DELETE", "/api/v1/notification-channels/" + std::to_string(id)).status, 204);
  EXPECT_EQ(send("GET", "/api/v1/notification-channels/" + std::to_string(id)).status, 404);
  EXPECT_EQ(send("DELETE", "/api/v1/notification-channels/" + std::to_string(id)).status, 404);
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log WHERE action ="
                            " 'admin_notification_channel_delete' AND outcome = 'failure'"),
            1);
}

TEST_F(ApiNotificationsTest, TheTestMessageReachesEachKindOfReceiver) {
  for (const auto id : {slack(), webhook(), pagerduty()}) {
    const auto tested =
        send("POST", "/api/v1/notification-channels/" + std::to_string(id) + "/test");
    ASSERT_EQ(tested.status, 200) << tested.body;
    const auto result = json::parse(tested.body);
    EXPECT_TRUE(result["sent"].GetBool()) << tested.body;
    EXPECT_EQ(json::string_member(result, "outcome"), "sent");
  }
  const auto received = json::parse(receivers_.received());
  ASSERT_EQ(received.Size(), 3u);
  EXPECT_TRUE(received[1]["verified"].IsTrue()) << receivers_.received();
  EXPECT_EQ(json::string_member(json::parse(*json::string_member(received[1], "body")), "type"),
            "faultline.test");
  const auto pagerduty_body = json::parse(*json::string_member(received[2], "body"));
  EXPECT_EQ(json::string_member(pagerduty_body, "event_action"), "resolve");  // nobody paged

  // A receiver that refuses is reported, and the test does not disable the channel.
  receivers_.fail("/slack/", R"([{"status":404,"body":"no_service"}])");
  const auto refused = send("POST", "/api/v1/notification-channels/1/test");
  ASSERT_EQ(refused.status, 200);
  const auto result = json::parse(refused.body);
  EXPECT_FALSE(result["sent"].GetBool());
  EXPECT_EQ(json::integer_member(result, "status"), 404);
  EXPECT_EQ(json::string_member(result, "outcome"), "gone");
  EXPECT_EQ(refused.body.find("s3cr3t"), std::string::npos);
  EXPECT_TRUE(
      json::parse(send("GET", "/api/v1/notification-channels/1").body)["enabled"].GetBool());
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log WHERE action ="
                            " 'admin_notification_channel_test' AND outcome = 'failure'"),
            1);
  EXPECT_EQ(send("POST", "/api/v1/notification-channels/99/test").status, 404);
}

TEST_F(ApiNotificationsTest, RulesSayWhichChangesAChannelGets) {
  const auto channel = std::to_string(slack());
  const auto created = send(
      "POST", "/api/v1/notification-rules",
      R"({"channel_id":)" + channel +
          R"(,"changes":["resolved","opened"],"repository":"octo/widgets","branch_pattern":"release/*",)"
          R"("category":"code/test","recurred_after":3,)"
          R"("quiet_hours":{"start":"22:00","end":"07:00","time_zone":"Europe/Berlin"}})");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto rule = json::parse(created.body);
  const auto id = std::to_string(json::integer_member(rule, "id").value_or(0));
  EXPECT_EQ(rule["changes"].Size(), 2u);
  EXPECT_EQ(json::string_member(rule["quiet_hours"], "time_zone"), "Europe/Berlin");
  EXPECT_EQ(json::string_member(rule["quiet_hours"], "start"), "22:00");
  EXPECT_EQ(json::integer_member(rule, "recurred_after"), 3);

  const auto patched = send("PATCH", "/api/v1/notification-rules/" + id,
                            R"({"repository":null,"quiet_hours":null,"changes":["recurred"]})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  const auto after = json::parse(patched.body);
  EXPECT_TRUE(after["repository"].IsNull());
  EXPECT_TRUE(after["quiet_hours"].IsNull());
  EXPECT_EQ(json::string_member(after, "branch_pattern"), "release/*");  // left as it was
  EXPECT_EQ(after["changes"].Size(), 1u);

  const auto listed =
      json::parse(send("GET", "/api/v1/notification-rules?channel_id=" + channel).body);
  EXPECT_EQ(json::integer_member(listed, "total"), 1);
  EXPECT_EQ(
      json::integer_member(
          json::parse(send("GET", "/api/v1/notification-rules?channel_id=999").body), "total"),
      0);
  EXPECT_EQ(send("GET", "/api/v1/notification-rules?channel_id=abc").status, 400);
  EXPECT_EQ(send("DELETE", "/api/v1/notification-rules/" + id).status, 204);
  EXPECT_EQ(send("GET", "/api/v1/notification-rules/" + id).status, 404);
  EXPECT_EQ(database_.count("SELECT count(*) FROM audit_log WHERE action LIKE"
                            " 'admin_notification_rule_%' AND outcome = 'success'"),
            3);
}

TEST_F(ApiNotificationsTest, RefusesMalformedAndHostileBodies) {
  const auto channel = std::to_string(slack());
  const std::string rule_prefix = R"({"channel_id":)" + channel + ",";
  for (
      const std::string& body : std::vector<std::string>{
          rule_prefix + R"("changes":[]})", rule_prefix + R"("changes":["exploded"]})",
          rule_prefix + R"("changes":["opened","opened"]})", rule_prefix + R"("changes":"opened"})",
          R"({"channel_id":999,"changes":["opened"]})", R"({"changes":["opened"]})",
          rule_prefix + R"("changes":["opened"],"repository":"a/b'; DROP TABLE x;--"})",
          rule_prefix + R"("changes":["opened"],"category":"bad/luck"})",
          rule_prefix + R"("changes":["opened"],"recurred_after":0})",
          rule_prefix +
              R"("changes":["opened"],"quiet_hours":{"start":"25:00","end":"07:00","time_zone":"UTC"}})",
          rule_prefix +
              R"("changes":["opened"],"quiet_hours":{"start":"22:00","end":"07:00","time_zone":"Mars/Olympus"}})",
          rule_prefix +
              R"("changes":["opened"],"quiet_hours":{"start":"22:00","end":"07:00","time_zone":"'; --"}})",
          rule_prefix + R"("changes":["opened"],"owner":"me"})",
          rule_prefix + R"("changes":["opened"],"branch_pattern":"a\u0000b"})"}) {
    const auto refused = send("POST", "/api/v1/notification-rules", body);
    EXPECT_EQ(refused.status, 422) << body << " -> " << refused.body;
    EXPECT_EQ(refused.headers.at("content-type"), "application/problem+json");
  }
  for (
      const std::string& body : std::vector<std::string>{
          std::string(R"({"name":"x","webhook_url":"https://hooks.slack.com/x"})"),
          std::string(R"({"kind":"email","name":"x"})"),
          std::string(R"({"kind":"slack","name":"x"})"),
          std::string(R"({"kind":"slack","name":"","webhook_url":"https://hooks.slack.com/x"})"),
          std::string(R"({"kind":"slack","name":"x","webhook_url":"ftp://hooks.slack.com/x"})"),
          std::string(
              R"({"kind":"slack","name":"x","webhook_url":"https://u:p@hooks.slack.com/x"})"),
          std::string(
              R"({"kind":"slack","name":"x","webhook_url":"https://hooks.slack.com/x","secrets":["whsec_x"]})"),
          std::string(
              R"({"kind":"webhook","name":"x","url":"https://example.com/h","secrets":["not-whsec"]})"),
          std::string(
              R"({"kind":"webhook","name":"x","url":"https://example.com/h","secrets":[]})"),
          std::string(R"({"kind":"webhook","name":"x","url":"https://example.com/h"})"),
          std::string(R"({"kind":"pagerduty","name":"x","routing_key":"short"})"),
          std::string(R"({"kind":"slack","name":"x","webhook_url":"https://hooks.slack.com/)") +
              std::string(3000, 'a') + "\"}"}) {
    const auto refused = send("POST", "/api/v1/notification-channels", body);
    EXPECT_EQ(refused.status, 422) << body.substr(0, 200) << " -> " << refused.body;
  }
  EXPECT_EQ(send("POST", "/api/v1/notification-channels", "{not json").status, 400);
  EXPECT_EQ(send("POST", "/api/v1/notification-channels", "[]").status, 400);
  EXPECT_EQ(
      send("POST", "/api/v1/notification-channels", R"({"kind":"slack"})", "", "text/plain").status,
      415);
  EXPECT_EQ(send("POST", "/api/v1/notification-channels", std::string(2 * 1024 * 1024, ' ')).status,
            413);
  EXPECT_EQ(send("PATCH", "/api/v1/notification-channels/" + channel, "{}").status, 422);
  EXPECT_EQ(send("PATCH", "/api/v1/notification-channels/" + channel,
                 R"({"routing_key":"R0UT1NGKEY0123456789abcdefABCDEF"})")
                .status,
            422);  // a Slack channel has none
  EXPECT_EQ(send("PATCH", "/api/v1/notification-channels/abc", R"({"name":"y"})").status, 400);
  EXPECT_EQ(send("PATCH", "/api/v1/notification-channels/77", R"({"name":"y"})").status, 404);
  EXPECT_EQ(send("PATCH", "/api/v1/notification-channels/" + channel, R"({"name":"y"})", "",
                 "application/json")
                .status,
            200);
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_channels"), 1);
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_rules"), 0);
}

TEST_F(ApiNotificationsTest, OnlyAdministratorsSeeOrChangeNotifications) {
  const auto channel = std::to_string(slack());
  const std::vector<std::pair<std::string, std::string>> routes{
      {"GET", "/api/v1/notification-channels"},
      {"POST", "/api/v1/notification-channels"},
      {"GET", "/api/v1/notification-channels/" + channel},
      {"PATCH", "/api/v1/notification-channels/" + channel},
      {"DELETE", "/api/v1/notification-channels/" + channel},
      {"POST", "/api/v1/notification-channels/" + channel + "/test"},
      {"GET", "/api/v1/notification-rules"},
      {"POST", "/api/v1/notification-rules"},
      {"GET", "/api/v1/notification-rules/1"},
      {"PATCH", "/api/v1/notification-rules/1"},
      {"DELETE", "/api/v1/notification-rules/1"},
      {"GET", "/api/v1/incidents/1/notifications"}};
  for (const auto& [method, path] : routes) {
    EXPECT_EQ(send(method, path, R"({"name":"mine"})", user_).status, 403) << method << " " << path;
    EXPECT_EQ(send(method, path, R"({"name":"mine"})", "X-None: 1").status, 401)
        << method << " " << path;
    EXPECT_EQ(send(method, path, R"({"name":"mine"})", "Authorization: Bearer forged").status, 401)
        << method << " " << path;
  }
  EXPECT_EQ(json::parse(receivers_.received()).Size(), 0u);  // no test message went out
  EXPECT_EQ(database_.scalar("SELECT name FROM notification_channels"), "CI alerts");
  EXPECT_GE(database_.count("SELECT count(*) FROM audit_log WHERE action = 'authz_fail'"),
            static_cast<long long>(3 * routes.size()));
}

TEST_F(ApiNotificationsTest, WithoutTheTestAllowancesOnlyPublicHttpsReceiversAreTaken) {
  ApiProcess strict(database_, {{"FAULTLINE_ENCRYPTION_KEY", std::string(64, 'c')}},
                    "api-strict.log");
  const auto admin = sign_in(client_, strict.base(), "admin@example.com").authorization();
  for (const std::string& url : std::vector<std::string>{
           receivers_.url() + "/slack/x", std::string("https://127.0.0.1/hook"),
           std::string("https://169.254.169.254/latest/meta-data"),
           std::string("https://[::1]/hook"), std::string("https://10.0.0.8/hook"),
           std::string("https://localhost/hook")}) {
    const auto refused = client_.request("POST", strict.base() + "/api/v1/notification-channels",
                                         {"Content-Type: application/json", admin},
                                         R"({"kind":"webhook","name":"x","url":")" + url +
                                             R"(","secrets":[")" + kWebhookSecret + "\"]}");
    EXPECT_EQ(refused.status, 422) << url << " -> " << refused.body;
  }
  // A channel stored while allowed is refused at send time too, name or no name.
  const auto id = std::to_string(webhook());
  const auto tested = client_.request(
      "POST", strict.base() + "/api/v1/notification-channels/" + id + "/test", {admin}, "");
  ASSERT_EQ(tested.status, 200) << tested.body;
  EXPECT_EQ(json::string_member(json::parse(tested.body), "outcome"), "blocked");
  EXPECT_EQ(json::parse(receivers_.received()).Size(), 0u);
}

// Whether `name` resolves to a loopback address (and to nothing else).
bool resolves_to_loopback(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  addrinfo* found = nullptr;
  if (::getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0)
    return false;
  bool loopback = found != nullptr;
  for (const addrinfo* a = found; a; a = a->ai_next)
    loopback =
        loopback &&
        (ntohl(reinterpret_cast<const sockaddr_in*>(a->ai_addr)->sin_addr.s_addr) >> 24) == 127;
  ::freeaddrinfo(found);
  return loopback;
}

TEST_F(ApiNotificationsTest, ANameThatResolvesInwardIsRefusedWhereItIsSentTo) {
  // The machine's own name resolves to loopback through /etc/hosts: a name
  // the API cannot judge when the channel is saved, which the sender refuses
  // by the address it resolves to when it connects.
  char host[256] = {};
  ASSERT_EQ(::gethostname(host, sizeof host - 1), 0);
  if (!resolves_to_loopback(host))
    GTEST_SKIP() << "this machine's name (" << host << ") does not resolve to loopback";
  ApiProcess http_only(
      database_,
      {{"FAULTLINE_ENCRYPTION_KEY", std::string(64, 'c')}, {"FAULTLINE_NOTIFY_ALLOW_HTTP", "1"}},
      "api-http-only.log");
  const auto admin = sign_in(client_, http_only.base(), "admin@example.com").authorization();
  const std::string port = receivers_.url().substr(receivers_.url().rfind(':'));
  const auto created =
      client_.request("POST", http_only.base() + "/api/v1/notification-channels",
                      {"Content-Type: application/json", admin},
                      R"({"kind":"webhook","name":"inward","url":"http://)" + std::string(host) +
                          port + R"(/webhook/ops","secrets":[")" + kWebhookSecret + "\"]}");
  ASSERT_EQ(created.status, 201) << created.body;
  const auto id = std::to_string(json::integer_member(json::parse(created.body), "id").value_or(0));
  const auto tested = client_.request(
      "POST", http_only.base() + "/api/v1/notification-channels/" + id + "/test", {admin}, "");
  ASSERT_EQ(tested.status, 200) << tested.body;
  EXPECT_EQ(json::string_member(json::parse(tested.body), "outcome"), "blocked") << tested.body;
  EXPECT_EQ(json::parse(receivers_.received()).Size(), 0u) << receivers_.received();
}

TEST_F(ApiNotificationsTest, AnIncidentShowsEachDeliveryAndEveryAttempt) {
  const auto channel = std::to_string(webhook());
  database_.execute(
      "INSERT INTO repositories (id, full_name) VALUES (555, 'octo/widgets');"
      "INSERT INTO incidents (repository_id, workflow_key, branch, state, first_failed_run_id,"
      " last_failed_run_id) VALUES (555, '31', 'main', 'open', 1, 1);"
      "INSERT INTO notification_deliveries (channel_id, incident_id, change_id, change, event,"
      " status, attempts, failures, last_status, last_error, sent_at) VALUES (" +
      channel +
      ", 1, 'outbox-1', 'opened', '{}', 'sent', 2, 1, 204, NULL, now());"
      "INSERT INTO notification_attempts (delivery_id, attempt, outcome, http_status,"
      " latency_seconds, error) VALUES (1, 1, 'retry', 503, 0.2, 'HTTP 503: busy'),"
      " (1, 2, 'sent', 204, 0.1, NULL)");
  const auto answer = send("GET", "/api/v1/incidents/1/notifications");
  ASSERT_EQ(answer.status, 200) << answer.body;
  const auto page = json::parse(answer.body);
  ASSERT_EQ(json::integer_member(page, "total"), 1);
  const auto& delivery = page["items"][0];
  EXPECT_EQ(json::string_member(delivery, "status"), "sent");
  EXPECT_EQ(json::string_member(delivery, "webhook_id"), "msg_outbox-1_" + channel);
  EXPECT_EQ(json::string_member(delivery["channel"], "kind"), "webhook");
  ASSERT_EQ(delivery["attempt_history"].Size(), 2u);
  EXPECT_EQ(json::string_member(delivery["attempt_history"][0], "outcome"), "retry");
  EXPECT_EQ(json::integer_member(delivery["attempt_history"][1], "http_status"), 204);
  EXPECT_EQ(send("GET", "/api/v1/incidents/2/notifications").status, 404);
  EXPECT_EQ(send("GET", "/api/v1/incidents/x/notifications").status, 400);
}

}  // namespace
}  // namespace faultline::testing
