// faultline-ingest against the embedded broker: what reaches the topic, and
// what does not.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <memory>

#include "common/events.hpp"
#include "common/json.hpp"
#include "common/topics.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/examples.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

constexpr const char* kSecret = "integration-secret";

class IngestPublishTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = std::make_unique<TestBroker>();
    ingest_ = start_ingest(broker_->bootstrap(), {});
    url_ = "http://127.0.0.1:" + std::to_string(port_) + "/webhooks/github";
  }
  static void TearDownTestSuite() {
    ingest_.reset();
    broker_.reset();
  }

  static std::unique_ptr<ChildProcess> start_ingest(
      const std::string& brokers, const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> env{{"FAULTLINE_KAFKA_BROKERS", brokers},
                                           {"FAULTLINE_WEBHOOK_SECRETS", kSecret},
                                           {"FAULTLINE_INGEST_ADDR", "127.0.0.1:0"}};
    for (auto& [k, v] : extra)
      env[k] = v;
    auto process = std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-ingest")}, env, scratch_path("ingest.log"));
    port_ = log_field_int(process->wait_for_log("\"msg\":\"listening\"", std::chrono::seconds(10)),
                          "port");
    return process;
  }

  static HttpResponse deliver(HttpClient& client, const std::string& url, const std::string& event,
                              const std::string& delivery, const std::string& body,
                              const std::string& secret = kSecret) {
    auto headers = webhook_headers(event, delivery, body, secret);
    headers.emplace_back("X-GitHub-Hook-ID: 4242");
    return client.request("POST", url, headers, body);
  }

  static inline std::unique_ptr<TestBroker> broker_;
  static inline std::unique_ptr<ChildProcess> ingest_;
  static inline int port_ = 0;
  static inline std::string url_;
};

TEST_F(IngestPublishTest, PublishesTheNormalizedEventWithCloudEventsHeadersAndKey) {
  HttpClient client;
  const auto examples = webhook_examples();
  const auto run = std::find_if(examples.begin(), examples.end(),
                                [](const auto& e) { return e.event == "workflow_run"; });
  ASSERT_NE(run, examples.end());
  const auto response = deliver(client, url_, "workflow_run", "delivery-run-1", run->body);
  ASSERT_EQ(response.status, 202) << response.body;

  const auto payload = json::parse(run->body);
  const auto repo_id = *json::integer_member(*json::member(payload, "repository"), "id");
  const auto run_id = *json::integer_member(*json::member(payload, "workflow_run"), "id");
  const auto action = std::string(*json::string_member(payload, "action"));

  auto messages =
      read_topic(broker_->bootstrap(), topics::kWorkflowRun, 1, std::chrono::seconds(10));
  const auto found = std::find_if(messages.begin(), messages.end(), [](const auto& m) {
    return header_of(m, "ce_id") == "delivery-run-1";
  });
  ASSERT_NE(found, messages.end());
  EXPECT_EQ(found->key, std::to_string(repo_id) + "/" + std::to_string(run_id));
  EXPECT_EQ(header_of(*found, "ce_specversion"), "1.0");
  EXPECT_EQ(header_of(*found, "ce_type"), "com.github.workflow_run." + action);
  EXPECT_EQ(header_of(*found, "ce_source").rfind("https://github.com/", 0), 0u);
  EXPECT_FALSE(header_of(*found, "ce_time").empty());
  EXPECT_EQ(header_of(*found, "content-type"), "application/json");

  const auto event = events::parse_workflow_run_event(found->value);
  EXPECT_EQ(event.envelope.delivery_id, "delivery-run-1");
  EXPECT_EQ(event.envelope.hook_id, 4242);
  EXPECT_EQ(event.envelope.repository.id, repo_id);
  EXPECT_EQ(event.run.id, run_id);
  // The normalized event, not GitHub's whole payload.
  EXPECT_LT(found->value.size(), run->body.size());
}

TEST_F(IngestPublishTest, ContinuesTheCallersTraceOrStartsOneAndPublishesIt) {
  HttpClient client;
  const auto examples = webhook_examples();
  const auto run = std::find_if(examples.begin(), examples.end(),
                                [](const auto& e) { return e.event == "workflow_run"; });
  ASSERT_NE(run, examples.end());
  const std::string caller = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  auto headers = webhook_headers("workflow_run", "delivery-traced", run->body, kSecret);
  headers.emplace_back("traceparent: " + caller);
  headers.emplace_back("tracestate: congo=t61rcWkgMzE");
  const auto traced = client.request("POST", url_, headers, run->body);
  ASSERT_EQ(traced.status, 202) << traced.body;
  const auto untraced = deliver(client, url_, "workflow_run", "delivery-untraced", run->body);
  ASSERT_EQ(untraced.status, 202) << untraced.body;

  // Ingest's own span of the caller's trace, in the answer and on the topic.
  const std::string answered = traced.headers.at("traceparent");
  EXPECT_EQ(answered.substr(0, 36), caller.substr(0, 36));
  EXPECT_NE(answered.substr(36, 16), caller.substr(36, 16));
  const std::string started = untraced.headers.at("traceparent");
  EXPECT_NE(started.substr(3, 32), caller.substr(3, 32));

  // Other tests publish to the topic too: read what is there.
  auto messages =
      read_topic(broker_->bootstrap(), topics::kWorkflowRun, 1000, std::chrono::seconds(3));
  const auto with = std::find_if(messages.begin(), messages.end(), [](const auto& m) {
    return header_of(m, "ce_id") == "delivery-traced";
  });
  const auto without = std::find_if(messages.begin(), messages.end(), [](const auto& m) {
    return header_of(m, "ce_id") == "delivery-untraced";
  });
  ASSERT_NE(with, messages.end());
  ASSERT_NE(without, messages.end());
  EXPECT_EQ(header_of(*with, "traceparent"), answered);
  EXPECT_EQ(header_of(*with, "tracestate"), "congo=t61rcWkgMzE");
  EXPECT_EQ(header_of(*without, "traceparent"), started);
  EXPECT_EQ(header_of(*without, "tracestate"), "");

  // The log line of the delivery names the trace and ingest's span.
  const auto line = ingest_->wait_for_log("\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\"",
                                          std::chrono::seconds(5));
  EXPECT_NE(line.find("\"span_id\":\"" + answered.substr(36, 16) + "\""), std::string::npos)
      << line;
  EXPECT_NE(line.find("delivery-traced"), std::string::npos) << line;
}

TEST_F(IngestPublishTest, RejectedRequestsPublishNothing) {
  HttpClient client;
  const std::string body = webhook_examples().front().body;
  const std::string event = webhook_examples().front().event;
  EXPECT_EQ(deliver(client, url_, event, "rejected-bad-signature", body, "wrong-secret").status,
            401);
  EXPECT_EQ(client
                .request("POST", url_,
                         {"X-GitHub-Event: " + event, "X-GitHub-Delivery: rejected-unsigned"}, body)
                .status,
            401);
  EXPECT_EQ(deliver(client, url_, event, "rejected-not-json", "{not json").status, 400);
  EXPECT_EQ(
      deliver(client, url_, event, "rejected-missing-fields", R"({"action":"completed"})").status,
      400);
  EXPECT_EQ(deliver(client, url_, "push", "rejected-other-event", body).status, 202);
  EXPECT_EQ(deliver(client, url_, "ping", "rejected-ping", R"({"zen":"Keep it simple."})").status,
            200);
  // A marker delivery that is accepted, so we know the reads saw the topics.
  ASSERT_EQ(deliver(client, url_, event, "accepted-marker", body).status, 202);

  std::size_t seen = 0;
  for (const char* topic : {topics::kWorkflowRun, topics::kWorkflowJob}) {
    for (const auto& m : read_topic(broker_->bootstrap(), topic, 1000, std::chrono::seconds(3))) {
      const auto id = header_of(m, "ce_id");
      EXPECT_EQ(id.rfind("rejected-", 0), std::string::npos) << id << " was published";
      seen += id == "accepted-marker";
    }
  }
  EXPECT_EQ(seen, 1u);
}

TEST_F(IngestPublishTest, AcceptsBodiesFarAboveFourKilobytesAndRefusesOversizedOnes) {
  HttpClient client;
  auto payload = json::parse(webhook_examples().front().body);
  // Pad a real example to ~3 MB (GitHub allows up to 25 MB).
  const std::string padding(3 * 1024 * 1024, 'x');
  payload.AddMember("padding", json::Value(padding.c_str(), payload.GetAllocator()),
                    payload.GetAllocator());
  const auto big = json::serialize(payload);
  const auto response = deliver(client, url_, webhook_examples().front().event, "big-1", big);
  EXPECT_EQ(response.status, 202) << response.body;

  // A second server with a small limit shows the 413 path.
  auto small = start_ingest(broker_->bootstrap(), {{"FAULTLINE_INGEST_MAX_BODY_BYTES", "100000"}});
  const std::string small_url = "http://127.0.0.1:" + std::to_string(port_) + "/webhooks/github";
  HttpClient other;
  const auto refused = deliver(other, small_url, "workflow_run", "too-big", big);
  EXPECT_EQ(refused.status, 413);
}

TEST_F(IngestPublishTest, KeepsHttp11ConnectionsOpen) {
  HttpClient client;
  const std::string base = url_.substr(0, url_.find("/webhooks"));
  const auto first = client.get(base + "/health");
  const auto second = client.get(base + "/health");
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(first.new_connections, 1);
  EXPECT_EQ(second.new_connections, 0) << "the second request opened a new connection";
  EXPECT_EQ(second.headers.at("connection"), "Keep-Alive");
}

TEST_F(IngestPublishTest, AnswersServiceUnavailableWhenTheBrokerDoesNotAcknowledge) {
  // Nothing listens on port 1: the broker can never acknowledge.
  auto stranded = start_ingest("127.0.0.1:1", {{"FAULTLINE_INGEST_PUBLISH_TIMEOUT", "1s"}});
  const std::string url = "http://127.0.0.1:" + std::to_string(port_) + "/webhooks/github";
  HttpClient client;
  const auto example = webhook_examples().front();
  const auto response = deliver(client, url, example.event, "no-broker-1", example.body);
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(response.headers.count("retry-after"), 1u);
  EXPECT_EQ(response.headers.at("content-type"), "application/problem+json");
  EXPECT_EQ(response.body.find("rdkafka"), std::string::npos);
  EXPECT_EQ(client.get(url.substr(0, url.find("/webhooks")) + "/ready").status, 503);
}

TEST_F(IngestPublishTest, DrainsAndExitsOnSigterm) {
  auto draining = start_ingest(broker_->bootstrap(), {});
  draining->signal(SIGTERM);
  EXPECT_EQ(draining->wait(std::chrono::seconds(15)), 0);
  EXPECT_NE(draining->log().find("\"msg\":\"stopped\""), std::string::npos);
}

}  // namespace
}  // namespace faultline::testing
