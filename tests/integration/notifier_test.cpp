// Role `notifier` against the fake receivers (Slack, Standard Webhooks,
// PagerDuty), real PostgreSQL and the embedded broker: incidents come from
// the incidents role, as they would in production.

#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <thread>

#include "common/database.hpp"
#include "common/json.hpp"
#include "common/secret_box.hpp"
#include "common/soci.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/fake_github.hpp"
#include "tests/support/fake_notify.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/run_events.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
constexpr const char* kWebhookSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kRoutingKey = "R0UT1NGKEY0123456789abcdefABCDEF";

class NotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    producer_ = std::make_unique<kafka::Producer>(kafka::Settings{broker_.bootstrap(), {}}, 10s);
    receivers_.set_webhook_secrets("ops", std::string("[\"") + kWebhookSecret + "\"]");
  }

  // The incidents and notifier roles; `more` adds roles and settings (or
  // replaces them: FAULTLINE_NOTIFY_CONTEXT_WAIT is 0 unless a test wants the
  // wait for the issues role, which runs only where it says).
  std::unique_ptr<ChildProcess> start(const std::string& log_name = "processors",
                                      const std::map<std::string, std::string>& more = {},
                                      const std::string& roles = "incidents,notifier") {
    std::map<std::string, std::string> environment{
        {"FAULTLINE_DATABASE_URL", database_.url()},
        {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
        {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"},
        {"FAULTLINE_ENCRYPTION_KEY", kKey},
        {"FAULTLINE_NOTIFY_ALLOW_HTTP", "1"},
        {"FAULTLINE_NOTIFY_ALLOW_PRIVATE", "1"},
        {"FAULTLINE_NOTIFY_SLACK_SPACING", "200ms"},
        {"FAULTLINE_NOTIFY_TIMEOUT", "2s"},
        {"FAULTLINE_NOTIFY_LEASE", "8s"},
        {"FAULTLINE_DASHBOARD_URL", "https://faultline.example"},
        {"FAULTLINE_NOTIFY_CONTEXT_WAIT", "0"}};
    for (const auto& [name, value] : more)
      environment[name] = value;
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-processors"), "--roles", roles},
        std::move(environment), scratch_path(log_name + ".log"));
  }

  // With the issues role reading run logs from `github`, and an incident's
  // first message waiting for them.
  std::unique_ptr<ChildProcess> start_reading_logs(const std::string& log_name,
                                                   const FakeGitHub& github) {
    return start(log_name,
                 {{"FAULTLINE_NOTIFY_CONTEXT_WAIT", "60s"},
                  {"FAULTLINE_GITHUB_API_URL", github.url()},
                  {"FAULTLINE_GITHUB_TOKEN", "fallback-token"},
                  {"FAULTLINE_GITHUB_MUTATION_SPACING", "50ms"}},
                 "incidents,issues,notifier");
  }

  // A channel and a rule for every change (`rule` adds to or replaces its
  // columns: "changes, branch_pattern) VALUES (:id, ARRAY['opened'], 'main'"); its id.
  long long channel(const std::string& kind, const std::string& url, const std::string& secret,
                    const std::string& rule =
                        "changes) VALUES"
                        " (:id, ARRAY['opened','recurred','acknowledged','resolved']") {
    Database db(DatabaseSettings{database_.url(), 1});
    return db.with_session([&](soci::session& sql) {
      const SecretBox secrets = SecretBox::from(
          Environment(std::map<std::string, std::string>{{"FAULTLINE_ENCRYPTION_KEY", kKey}}));
      const std::string sealed = secrets.seal(secret);
      soci::indicator url_ind = url.empty() ? soci::i_null : soci::i_ok;
      long long id = 0;
      sql << "INSERT INTO notification_channels (kind, name, url, secret_ciphertext)"
             " VALUES (:kind, :name, :url, :sealed) RETURNING id",
          soci::use(kind, "kind"), soci::use(kind, "name"), soci::use(url, url_ind, "url"),
          soci::use(sealed, "sealed"), soci::into(id);
      sql << "INSERT INTO notification_rules (channel_id, " + rule + ")", soci::use(id, "id");
      return id;
    });
  }

  void publish(std::int64_t run_id, const char* conclusion, const char* created_at,
               const std::string& branch = "main") {
    RunSpec spec;
    spec.branch = branch;
    spec.run_id = run_id;
    spec.conclusion = conclusion;
    spec.created_at = created_at;
    spec.delivery_id = "d-" + std::to_string(run_id);
    ASSERT_EQ(producer_->produce_and_wait(run_message(run_event(spec))),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  // What the fake received at receivers whose path starts with `prefix`.
  std::vector<json::Document> received(const std::string& prefix) const {
    const auto all = json::parse(receivers_.received());
    std::vector<json::Document> out;
    for (const auto& r : all.GetArray()) {
      if (std::string(json::string_member(r, "path").value_or("")).rfind(prefix, 0) != 0)
        continue;
      json::Document copy;
      copy.CopyFrom(r, copy.GetAllocator());
      out.push_back(std::move(copy));
    }
    return out;
  }

  std::size_t wait_for_received(const std::string& prefix, std::size_t at_least,
                                std::chrono::milliseconds timeout = 40s) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    std::size_t n = 0;
    while ((n = received(prefix).size()) < at_least && std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(100ms);
    return n;
  }

  static json::Document body_of(const json::Document& received) {
    return json::parse(json::string_member(received, "body").value_or(""));
  }

  TestDatabase database_;
  TestBroker broker_;
  FakeNotify receivers_;
  std::unique_ptr<kafka::Producer> producer_;
};

TEST_F(NotifierTest, AnIncidentsFirstMessageWaitsForTheFailingJobAndItsErrorLine) {
  // The issues role reads the run's log a moment after the incident opens;
  // the first Slack message waits for it rather than going without it.
  FakeGitHub github;
  github.seed_jobs("octo/widgets", 20, R"json([
    {"id": 502, "run_id": 20, "name": "test (ubuntu-latest)", "status": "completed",
     "conclusion": "failure", "html_url": "https://github.com/octo/widgets/actions/runs/20/job/502",
     "steps": [{"name": "Set up job", "conclusion": "success", "number": 1},
               {"name": "Build and test", "conclusion": "failure", "number": 2,
                "started_at": "2026-11-23T10:00:00Z"}]}])json");
  const std::string ts = "2026-11-23T10:00:01.1234567Z ";
  github.seed_log(502, ts + "##[group]Run make test\n" + ts + "make test\n" + ts +
                           "##[endgroup]\n" + ts + "ledger_test.cpp:88: Failure\n" + ts +
                           "Expected: balance == 100, actual: 90\n" + ts +
                           "##[error]Process completed with exit code 2.\n");
  channel("slack", "", receivers_.url() + "/slack/T1/B1/context");
  auto processors = start_reading_logs("processors-context", github);
  publish(20, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(wait_for_received("/slack/", 1, 50s), 1u) << processors->log();
  const auto message =
      std::string(json::string_member(received("/slack/")[0], "body").value_or(""));
  for (const char* expected :
       {"CI failing: CI on main in octo/widgets", "test (ubuntu-latest)", "Build and test",
        "ledger_test.cpp:88: Failure", "/issues/1|GitHub issue>", "/actions/runs/20|Run 20>"})
    EXPECT_NE(message.find(expected), std::string::npos) << expected << " in " << message;
  // It went when the context arrived, well before the wait was over.
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_deliveries WHERE status = 'sent'"
                            " AND sent_at < created_at + interval '50 seconds'"
                            " AND NOT awaiting_context"),
            1);
}

TEST_F(NotifierTest, ARuleForACategoryGetsAnOpenedIncidentOnceItsLogSaysWhichCategory) {
  // The category is known only once the issues role has read the run's log
  // (a failing jest run: code/test); only the channel whose rule wants that
  // category is told, and neither rule's channel is told without the log.
  FakeGitHub github;
  github.seed_jobs("octo/widgets", 30, R"json([
    {"id": 702, "run_id": 30, "name": "unit", "status": "completed", "conclusion": "failure",
     "steps": [{"name": "npm test", "conclusion": "failure", "number": 1,
                "started_at": "2026-11-23T10:00:00Z"}]}])json");
  const std::string ts = "2026-11-23T10:00:01.1234567Z ";
  github.seed_log(702, ts + "##[group]Run npm test\n" + ts + "##[endgroup]\n" + ts +
                           "Tests:       1 failed, 12 passed, 13 total\n" + ts +
                           "##[error]Process completed with exit code 1.\n");
  channel("slack", "", receivers_.url() + "/slack/T1/B1/tests",
          "changes, category) VALUES (:id, ARRAY['opened'], 'code/test'");
  channel("slack", "", receivers_.url() + "/slack/T1/B1/network",
          "changes, category) VALUES (:id, ARRAY['opened'], 'platform/network'");
  auto processors = start_reading_logs("processors-categories", github);
  publish(30, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(wait_for_received("/slack/T1/B1/tests", 1, 50s), 1u) << processors->log();
  EXPECT_EQ(database_.scalar("SELECT category FROM incidents"), "code/test");
  // The other channel's provisional delivery is gone, never sent.
  EXPECT_EQ(database_.wait_for_count("SELECT count(*) FROM notification_deliveries", 1), 1);
  EXPECT_EQ(received("/slack/T1/B1/network").size(), 0u);
}

TEST_F(NotifierTest, AnOpenedMessageGoesWithWhatIsKnownWhenItsWaitIsOver) {
  // A token to read the log with, but no issues role running to read it: the
  // message goes after its wait. (Without any token nothing would come, and
  // it would not wait: the other tests.)
  channel("slack", "", receivers_.url() + "/slack/T1/B1/no-context");
  auto processors = start("processors-no-context", {{"FAULTLINE_NOTIFY_CONTEXT_WAIT", "2s"},
                                                    {"FAULTLINE_GITHUB_TOKEN", "a-token"}});
  publish(21, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(wait_for_received("/slack/", 1, 30s), 1u) << processors->log();
  const auto message =
      std::string(json::string_member(received("/slack/")[0], "body").value_or(""));
  EXPECT_NE(message.find("CI failing: CI on main in octo/widgets"), std::string::npos) << message;
  EXPECT_EQ(message.find("Failing job"), std::string::npos) << message;
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_deliveries WHERE status = 'sent'"
                            " AND sent_at >= created_at + interval '2 seconds'"),
            1);
}

TEST_F(NotifierTest, EachChangeReachesEachChannelOnceAndAReplayChangesNothing) {
  channel("slack", "", receivers_.url() + "/slack/T1/B1/x");
  channel("webhook", receivers_.url() + "/webhook/ops", kWebhookSecret);
  channel("pagerduty", receivers_.url() + "/pagerduty/v2/enqueue", kRoutingKey);
  auto processors = start();
  publish(1, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(database_.wait_for_count(
                "SELECT count(*) FROM notification_deliveries WHERE status = 'sent'", 3),
            3)
      << processors->log();
  publish(2, "success", "2026-11-23T10:10:00Z");
  ASSERT_EQ(database_.wait_for_count(
                "SELECT count(*) FROM notification_deliveries WHERE status = 'sent'", 6),
            6)
      << processors->log();

  const auto slack_messages = received("/slack/");
  ASSERT_EQ(slack_messages.size(), 2u);
  EXPECT_EQ(json::string_member(body_of(slack_messages[0]), "text").value_or(""),
            "CI failing: CI on main in octo/widgets");
  EXPECT_EQ(json::string_member(body_of(slack_messages[1]), "text").value_or(""),
            "CI recovered: CI on main in octo/widgets");
  EXPECT_NE(json::string_member(slack_messages[0], "body")
                ->find("https://faultline.example/incidents/1|Incident 1"),
            std::string::npos);

  const auto webhooks = received("/webhook/");
  ASSERT_EQ(webhooks.size(), 2u);
  for (const auto& hook : webhooks)
    EXPECT_TRUE(hook["verified"].IsTrue()) << json::string_member(hook, "why").value_or("");
  EXPECT_EQ(json::string_member(body_of(webhooks[0]), "type").value_or(""), "incident.opened");
  EXPECT_EQ(json::string_member(body_of(webhooks[1]), "type").value_or(""), "incident.resolved");
  EXPECT_NE(json::string_member(webhooks[0]["headers"], "webhook-id"),
            json::string_member(webhooks[1]["headers"], "webhook-id"));

  const auto pagerduty = json::parse(receivers_.pagerduty());
  ASSERT_TRUE(pagerduty.IsObject());
  ASSERT_EQ(pagerduty.MemberCount(), 1u);  // one dedup key
  EXPECT_EQ(json::string_member(pagerduty["1"], "state").value_or(""), "resolved");

  // Every attempt is recorded, with its latency.
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_attempts WHERE outcome = 'sent'"
                            " AND latency_seconds >= 0"),
            6);

  // The outbox publishes every change again (as after a relay crash): the
  // notifier reads them all a second time and sends nothing more.
  const auto events = database_.count("SELECT count(*) FROM outbox");
  database_.execute("UPDATE outbox SET published_at = NULL");
  ASSERT_EQ(
      database_.wait_for_count(
          "SELECT sum(next_offset) FROM consumer_offsets WHERE group_id = 'faultline-notifier'",
          2 * events),
      2 * events)
      << processors->log();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_deliveries"), 6);
  EXPECT_EQ(received("/slack/").size(), 2u);
  EXPECT_EQ(received("/webhook/").size(), 2u);
  EXPECT_EQ(received("/pagerduty/").size(), 2u);
}

TEST_F(NotifierTest, AStormOf429sIsWaitedOutAndGivesNothingUp) {
  receivers_.fail(
      "/slack/",
      R"([{"status":429,"headers":{"retry-after":"1"}},{"status":429,"headers":{"retry-after":"1"}},
                      {"status":429,"headers":{"retry-after":"1"}},{"status":429,"headers":{"retry-after":"1"}},
                      {"status":429,"headers":{"retry-after":"1"}}])");
  channel("slack", "", receivers_.url() + "/slack/T1/B1/x");
  auto processors = start();
  publish(1, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(database_.wait_for_count(
                "SELECT count(*) FROM notification_deliveries WHERE status = 'sent'", 1, 60s),
            1)
      << processors->log();
  EXPECT_EQ(database_.count("SELECT attempts FROM notification_deliveries"), 6);
  EXPECT_EQ(database_.count("SELECT failures FROM notification_deliveries"), 0);
  EXPECT_EQ(
      database_.count("SELECT count(*) FROM notification_attempts WHERE outcome = 'rate_limited'"),
      5);
  // Each retry waited at least the second Retry-After asked for.
  EXPECT_EQ(database_.count("SELECT count(*) FROM (SELECT at - lag(at) OVER (ORDER BY id) AS gap"
                            " FROM notification_attempts) g WHERE gap < interval '1 second'"),
            0);
  const auto slack = received("/slack/");
  ASSERT_EQ(slack.size(), 6u);
  EXPECT_EQ(slack.back()["answered"].GetInt(), 200);
}

TEST_F(NotifierTest, AReceiverThatIsGoneDisablesItsChannelAndNoOther) {
  receivers_.fail("/webhook/ops", "[]", R"({"status":410})");
  const auto webhook = channel("webhook", receivers_.url() + "/webhook/ops", kWebhookSecret);
  channel("slack", "", receivers_.url() + "/slack/T1/B1/x");
  auto processors = start();
  publish(1, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(
      database_.wait_for_count("SELECT count(*) FROM notification_channels WHERE NOT enabled", 1),
      1)
      << processors->log();
  EXPECT_EQ(database_.scalar("SELECT disabled_reason FROM notification_channels WHERE id = " +
                             std::to_string(webhook)),
            "the receiver answered 410: it is gone");
  ASSERT_EQ(database_.wait_for_count(
                "SELECT count(*) FROM notification_deliveries WHERE status = 'sent'", 1),
            1);
  // The change it missed stays pending, for when it is enabled again.
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_deliveries WHERE channel_id = " +
                            std::to_string(webhook) + " AND status = 'pending'"),
            1);
  // A later change is not queued for it, and nothing more is sent to it.
  publish(2, "success", "2026-11-23T10:10:00Z");
  ASSERT_EQ(database_.wait_for_count(
                "SELECT count(*) FROM notification_deliveries WHERE status = 'sent'", 2),
            2);
  EXPECT_EQ(received("/webhook/").size(), 1u);

  const auto port =
      log_field_int(processors->wait_for_log("\"msg\":\"started\"", 20s), "status_port");
  HttpClient client;
  const auto deadline = std::chrono::steady_clock::now() + 15s;
  std::string metrics;
  do {
    metrics = client.get("http://127.0.0.1:" + std::to_string(port) + "/metrics").body;
    if (metrics.find("faultline_notify_channels_disabled 1") != std::string::npos)
      break;
    std::this_thread::sleep_for(200ms);
  } while (std::chrono::steady_clock::now() < deadline);
  for (const char* series : {"faultline_notify_channels_disabled 1",
                             R"(faultline_notify_sends_total{kind="webhook",outcome="gone"} 1)",
                             R"(faultline_notify_sends_total{kind="slack",outcome="sent"} 2)"})
    EXPECT_NE(metrics.find(series), std::string::npos) << series << "\n" << metrics;
}

TEST_F(NotifierTest, ASlackChannelThatWorkedAndThenAnswers404IsDisabledAndTheApiSaysWhy) {
  const auto slack = channel("slack", "", receivers_.url() + "/slack/T1/B1/removed");
  auto processors = start();
  publish(1, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(database_.wait_for_count(
                "SELECT count(*) FROM notification_deliveries WHERE status = 'sent'", 1),
            1)
      << processors->log();
  // Someone removes the app from the workspace: Slack answers 404 from now on.
  receivers_.fail("/slack/T1/B1/removed", "[]", R"({"status":404,"body":"no_service"})");
  publish(2, "success", "2026-11-23T10:10:00Z");
  ASSERT_EQ(
      database_.wait_for_count("SELECT count(*) FROM notification_channels WHERE NOT enabled", 1),
      1)
      << processors->log();
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_deliveries WHERE status = 'pending'"
                            " AND channel_id = " +
                            std::to_string(slack)),
            1);

  create_account(database_, "admin@example.com", "admin");
  ApiProcess api(database_, {{"FAULTLINE_ENCRYPTION_KEY", kKey}});
  HttpClient client;
  const auto admin = sign_in(client, api.base(), "admin@example.com");
  const auto shown =
      client.get(api.base() + "/api/v1/notification-channels/" + std::to_string(slack),
                 {admin.authorization()});
  ASSERT_EQ(shown.status, 200) << shown.body;
  const auto document = json::parse(shown.body);
  EXPECT_FALSE(document["enabled"].GetBool());
  EXPECT_NE(std::string(json::string_member(document, "disabled_reason").value_or("")).find("404"),
            std::string::npos)
      << shown.body;
  EXPECT_TRUE(json::string_member(document, "disabled_at")) << shown.body;
}

TEST_F(NotifierTest, OneSlackWebhookIsSentToAtItsPaceWhileAnotherIsNotHeldUp) {
  // Four incidents at once, and the channel's pace (FAULTLINE_NOTIFY_SLACK_SPACING,
  // 500 ms here; Slack's ~1 s by default) between its messages, as the receiver saw
  // them: a send starts a spacing after the one before, and reaches the receiver
  // within however long connecting takes on a loaded machine (100 ms allowed).
  channel("slack", "", receivers_.url() + "/slack/T1/B1/paced");
  channel("slack", "", receivers_.url() + "/slack/T2/B2/other");
  auto processors = start("processors-paced", {{"FAULTLINE_NOTIFY_SLACK_SPACING", "500ms"}});
  for (int i = 0; i < 4; ++i)
    publish(40 + i, "failure", "2026-11-23T10:00:00Z", "branch-" + std::to_string(i));
  ASSERT_EQ(wait_for_received("/slack/T1/", 4), 4u) << processors->log();
  ASSERT_EQ(wait_for_received("/slack/T2/", 4), 4u) << processors->log();
  const auto arrivals = [&](const std::string& prefix) {
    std::vector<std::int64_t> ms;
    // The fake's `at` is JavaScript's toISOString(): YYYY-MM-DDTHH:MM:SS.mmmZ.
    for (const auto& r : received(prefix)) {
      const std::string at(json::string_member(r, "at").value_or(""));
      const auto part = [&](std::size_t from, std::size_t n) {
        return std::stoll(at.substr(from, n));
      };
      ms.push_back((((part(8, 2) * 24 + part(11, 2)) * 60 + part(14, 2)) * 60 + part(17, 2)) *
                       1000 +
                   part(20, 3));
    }
    return ms;
  };
  const auto paced = arrivals("/slack/T1/");
  for (std::size_t i = 1; i < paced.size(); ++i)
    EXPECT_GE(paced[i] - paced[i - 1], 400) << "message " << i;
  // The other webhook keeps its own pace: its first message did not wait for the four.
  EXPECT_LT(arrivals("/slack/T2/").front(), paced.back());
}

TEST_F(NotifierTest, AMessageTheReceiverRefusesForGoodIsGivenUpCountedAndNotTriedAgain) {
  // PagerDuty answers 400 to an event it will never take (a bad routing key).
  receivers_.fail("/pagerduty/", "[]", R"({"status":400,"body":"{\"status\":\"invalid event\"}"})");
  channel("pagerduty", receivers_.url() + "/pagerduty/v2/enqueue", kRoutingKey);
  auto processors = start();
  publish(1, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(database_.wait_for_count(
                "SELECT count(*) FROM notification_deliveries WHERE status = 'failed'", 1),
            1)
      << processors->log();
  const auto port =
      log_field_int(processors->wait_for_log("\"msg\":\"started\"", 20s), "status_port");
  HttpClient client;
  const auto metrics = client.get("http://127.0.0.1:" + std::to_string(port) + "/metrics").body;
  EXPECT_NE(metrics.find(R"(faultline_notify_given_up_total{kind="pagerduty"} 1)"),
            std::string::npos)
      << metrics;
  std::this_thread::sleep_for(2s);  // a retry would show up now
  EXPECT_EQ(received("/pagerduty/").size(), 1u);
  EXPECT_EQ(database_.count("SELECT attempts FROM notification_deliveries"), 1);
}

TEST_F(NotifierTest, AKillBetweenSendAndRecordSendsAtMostOnceMoreWithTheSameWebhookId) {
  // The receiver takes the message and answers only after the sender is dead.
  receivers_.fail("/webhook/ops", R"([{"status":204,"delay_ms":4000}])");
  channel("webhook", receivers_.url() + "/webhook/ops", kWebhookSecret);
  auto processors = start("processors-killed");
  publish(1, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(wait_for_received("/webhook/", 1), 1u) << processors->log();
  processors->signal(SIGKILL);
  processors->wait(5s);
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_attempts"), 0);

  auto again = start("processors-again");
  ASSERT_EQ(database_.wait_for_count(
                "SELECT count(*) FROM notification_deliveries WHERE status = 'sent'", 1, 40s),
            1)
      << again->log();
  const auto hooks = received("/webhook/");
  ASSERT_EQ(hooks.size(), 2u);  // the one the kill hid, and once more
  EXPECT_EQ(json::string_member(hooks[0]["headers"], "webhook-id"),
            json::string_member(hooks[1]["headers"], "webhook-id"));
  EXPECT_TRUE(hooks[1]["verified"].IsTrue());
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_deliveries"), 1);
}

TEST_F(NotifierTest, AKillInTheMiddleOfABurstLosesNothingAndRepeatsAtMostOneMessage) {
  channel("webhook", receivers_.url() + "/webhook/ops", kWebhookSecret);
  // Each answer takes a moment, so the kill lands among the sends.
  receivers_.fail("/webhook/ops", "[]", R"({"status":204,"delay_ms":300})");
  constexpr int kIncidents = 8;
  auto processors = start("processors-burst");
  for (int i = 1; i <= kIncidents; ++i)
    publish(i, "failure", "2026-11-23T10:00:00Z", "branch-" + std::to_string(i));
  ASSERT_GE(wait_for_received("/webhook/", 2), 2u) << processors->log();
  processors->signal(SIGKILL);
  processors->wait(5s);

  auto again = start("processors-after-burst");
  ASSERT_EQ(
      database_.wait_for_count("SELECT count(*) FROM notification_deliveries WHERE status = 'sent'",
                               kIncidents, 60s),
      kIncidents)
      << again->log();
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_deliveries"), kIncidents);
  const auto hooks = received("/webhook/");
  std::map<std::string, int> by_id;
  for (const auto& hook : hooks) {
    EXPECT_TRUE(hook["verified"].IsTrue());
    ++by_id[std::string(json::string_member(hook["headers"], "webhook-id").value_or(""))];
  }
  EXPECT_EQ(by_id.size(), static_cast<std::size_t>(kIncidents));  // nothing lost
  int repeated = 0;
  for (const auto& [id, times] : by_id)
    repeated += times - 1;
  EXPECT_LE(repeated, 1) << "at most the one in flight when the process died";
}

TEST_F(NotifierTest, RulesFilterByRepositoryBranchAndConsecutiveFailures) {
  // Only main-ish branches of octo/widgets, recurrences from the third failure on.
  channel("webhook", receivers_.url() + "/webhook/ops", kWebhookSecret,
          "changes, repository, branch_pattern, recurred_after) VALUES (:id,"
          " ARRAY['opened','recurred'], 'OCTO/Widgets', 'ma?n*', 3");
  // Another repository's rule never matches.
  channel("slack", "", receivers_.url() + "/slack/T1/B1/x",
          "changes, repository) VALUES (:id, ARRAY['opened'], 'octo/other'");
  auto processors = start();
  publish(1, "failure", "2026-11-23T10:00:00Z");  // opened
  ASSERT_EQ(wait_for_received("/webhook/", 1), 1u) << processors->log();
  publish(2, "failure", "2026-11-23T10:10:00Z");  // recurred, 2 in a row: not yet
  ASSERT_EQ(database_.wait_for_count("SELECT occurrences FROM incidents", 2), 2);
  publish(3, "failure", "2026-11-23T10:20:00Z");  // recurred, 3 in a row
  ASSERT_EQ(wait_for_received("/webhook/", 2), 2u) << processors->log();
  publish(4, "success", "2026-11-23T10:30:00Z");  // resolved: not asked for
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'resolved'", 1),
            1);
  // Every change read (the notifier is where the outbox is), and no more sent.
  ASSERT_EQ(
      database_.wait_for_count(
          "SELECT sum(next_offset) FROM consumer_offsets WHERE group_id = 'faultline-notifier'",
          database_.count("SELECT count(*) FROM outbox")),
      database_.count("SELECT count(*) FROM outbox"));
  const auto hooks = received("/webhook/");
  ASSERT_EQ(hooks.size(), 2u);
  const auto second = body_of(hooks[1]);
  EXPECT_EQ(json::string_member(second, "type"), "incident.recurred");
  EXPECT_EQ(json::integer_member(*json::object_member(second["data"], "incident"), "occurrences"),
            3);
  EXPECT_EQ(received("/slack/").size(), 0u);
  EXPECT_EQ(database_.count("SELECT count(*) FROM notification_deliveries"), 2);
}

TEST_F(NotifierTest, QuietHoursHoldChangesAndSlackGetsOneSummaryWhenTheyEnd) {
  // Quiet from an hour ago until a few seconds from now, in UTC wall-clock time.
  channel("slack", "", receivers_.url() + "/slack/T1/B1/x",
          "changes, quiet_start, quiet_end, quiet_time_zone) VALUES (:id,"
          " ARRAY['opened','resolved'], (now() AT TIME ZONE 'UTC' - interval '1 hour')::time,"
          " (now() AT TIME ZONE 'UTC' + interval '15 seconds')::time, 'UTC'");
  auto processors = start();
  publish(1, "failure", "2026-11-23T10:00:00Z");
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents", 1), 1) << processors->log();
  publish(2, "success", "2026-11-23T10:10:00Z");
  ASSERT_EQ(database_.wait_for_count(
                "SELECT count(*) FROM notification_deliveries WHERE status = 'held'", 2, 12s),
            2)
      << processors->log();
  EXPECT_EQ(received("/slack/").size(), 0u);  // held, not sent

  ASSERT_EQ(database_.wait_for_count(
                "SELECT count(*) FROM notification_deliveries WHERE status = 'sent'", 2, 40s),
            2)
      << processors->log();
  const auto slack = received("/slack/");
  ASSERT_EQ(slack.size(), 1u);  // one summary for both
  const auto summary = body_of(slack[0]);
  EXPECT_EQ(json::string_member(summary, "text"),
            "While notifications were quiet: 2 incident changes");
  const auto body = std::string(json::string_member(slack[0], "body").value_or(""));
  EXPECT_NE(body.find("CI failing: CI on main in octo/widgets"), std::string::npos) << body;
  EXPECT_NE(body.find("CI recovered: CI on main in octo/widgets"), std::string::npos) << body;
}

}  // namespace
}  // namespace faultline::testing
