// faultline-ingest's POST /webhooks/gitlab against the embedded broker: what
// reaches GitLab's topics, and what does not.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>

#include "common/gitlab_events.hpp"
#include "common/json.hpp"
#include "common/time.hpp"
#include "common/topics.hpp"
#include "ingest/standard_webhooks.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/examples.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

constexpr const char* kToken = "integration-gitlab-token";
// The Standard Webhooks specification's example secret.
constexpr const char* kSigningSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

class IngestGitLabTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    broker_ = std::make_unique<TestBroker>();
    ingest_ = start_ingest({});
    url_ = url_of(port_);
  }
  static void TearDownTestSuite() {
    ingest_.reset();
    broker_.reset();
  }

  static std::string url_of(int port) {
    return "http://127.0.0.1:" + std::to_string(port) + "/webhooks/gitlab";
  }

  static std::unique_ptr<ChildProcess> start_ingest(
      const std::map<std::string, std::string>& extra) {
    std::map<std::string, std::string> env{
        {"FAULTLINE_KAFKA_BROKERS", broker_->bootstrap()},
        {"FAULTLINE_WEBHOOK_SECRETS", "integration-secret"},
        {"FAULTLINE_GITLAB_WEBHOOK_TOKENS", std::string("old-token,") + kToken},
        {"FAULTLINE_GITLAB_SIGNING_SECRETS", kSigningSecret},
        {"FAULTLINE_INGEST_ADDR", "127.0.0.1:0"}};
    for (const auto& [k, v] : extra)
      env[k] = v;
    auto process =
        std::make_unique<ChildProcess>(std::vector<std::string>{binary("faultline-ingest")}, env,
                                       scratch_path("ingest-gitlab.log"));
    port_ = log_field_int(process->wait_for_log("\"msg\":\"listening\"", std::chrono::seconds(10)),
                          "port");
    return process;
  }

  // GitLab's headers for `body`, signed at `timestamp` (now by default).
  static std::vector<std::string> signed_headers(const std::string& event, const std::string& key,
                                                 const std::string& body,
                                                 std::int64_t timestamp = epoch_seconds()) {
    auto headers = gitlab_webhook_headers(event, key, kToken);
    const std::string id = "msg_" + key;
    headers.push_back("webhook-id: " + id);
    headers.push_back("webhook-timestamp: " + std::to_string(timestamp));
    headers.push_back("webhook-signature: " +
                      ingest::StandardWebhookVerifier::sign(
                          *ingest::standard_webhook_key(kSigningSecret), id, timestamp, body));
    return headers;
  }

  static HttpResponse deliver(HttpClient& client, const std::string& event, const std::string& key,
                              const std::string& body) {
    return client.request("POST", url_, signed_headers(event, key, body), body);
  }

  static const ConsumedMessage* with_ce_id(const std::vector<ConsumedMessage>& messages,
                                           const std::string& id) {
    const auto found = std::find_if(messages.begin(), messages.end(),
                                    [&](const auto& m) { return header_of(m, "ce_id") == id; });
    return found == messages.end() ? nullptr : &*found;
  }

  static inline std::unique_ptr<TestBroker> broker_;
  static inline std::unique_ptr<ChildProcess> ingest_;
  static inline int port_ = 0;
  static inline std::string url_;
};

TEST_F(IngestGitLabTest, PublishesPipelinesAndJobsWithCloudEventsHeadersOnOnePartition) {
  HttpClient client;
  // The job example's pipeline, as a Pipeline Hook, so the two share a key.
  auto pipeline = json::parse(gitlab_example("pipeline"));
  pipeline["project"]["id"].SetInt64(380);
  pipeline["object_attributes"]["id"].SetInt64(2366);
  const auto pipeline_body = json::serialize(pipeline);
  const auto job_body = gitlab_example("build");
  const auto caller = std::string("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  auto headers = signed_headers("Pipeline Hook", "gitlab-pipeline-1", pipeline_body);
  headers.push_back("traceparent: " + caller);
  const auto first = client.request("POST", url_, headers, pipeline_body);
  ASSERT_EQ(first.status, 202) << first.body;
  EXPECT_EQ(first.body, R"({"accepted":true,"delivery_id":"gitlab-pipeline-1"})");
  EXPECT_EQ(first.headers.at("traceparent").substr(0, 36), caller.substr(0, 36));
  const auto second = deliver(client, "Job Hook", "gitlab-job-1", job_body);
  ASSERT_EQ(second.status, 202) << second.body;

  const auto pipelines =
      read_topic(broker_->bootstrap(), topics::kGitLabPipeline, 1, std::chrono::seconds(10));
  const auto jobs =
      read_topic(broker_->bootstrap(), topics::kGitLabJob, 1, std::chrono::seconds(10));
  const auto* p = with_ce_id(pipelines, "gitlab-pipeline-1");
  const auto* j = with_ce_id(jobs, "gitlab-job-1");
  ASSERT_NE(p, nullptr);
  ASSERT_NE(j, nullptr);
  EXPECT_EQ(p->key, "380/2366");
  EXPECT_EQ(j->key, "380/2366");
  // One key, one partition: the pipeline's events and its jobs' stay in order.
  EXPECT_EQ(p->partition, j->partition);
  EXPECT_EQ(header_of(*p, "ce_specversion"), "1.0");
  EXPECT_EQ(header_of(*p, "ce_type"), "com.gitlab.pipeline.success");
  EXPECT_EQ(header_of(*j, "ce_type"), "com.gitlab.job.created");
  EXPECT_EQ(header_of(*p, "ce_source"), "http://192.168.64.1:3005/gitlab-org/gitlab-test");
  EXPECT_TRUE(is_rfc3339(header_of(*p, "ce_time"))) << header_of(*p, "ce_time");
  EXPECT_EQ(header_of(*p, "content-type"), "application/json");
  EXPECT_EQ(header_of(*p, "traceparent"), first.headers.at("traceparent"));

  const auto pipeline_event = events::parse_gitlab_pipeline_event(p->value);
  EXPECT_EQ(pipeline_event.envelope.delivery_id, "gitlab-pipeline-1");
  EXPECT_EQ(pipeline_event.pipeline.created_at, "2016-08-12T15:23:28Z");
  const auto job_event = events::parse_gitlab_job_event(j->value);
  EXPECT_EQ(job_event.job.id, 1977);
  EXPECT_EQ(job_event.job.created_at, "2021-02-23T02:41:37.886Z");
}

TEST_F(IngestGitLabTest, RejectedRequestsPublishNothing) {
  HttpClient client;
  const auto body = gitlab_example("pipeline");
  const auto request = [&](const std::vector<std::string>& headers, const std::string& payload) {
    return client.request("POST", url_, headers, payload).status;
  };
  const auto without = [](std::vector<std::string> headers, const std::string& prefix) {
    headers.erase(std::remove_if(headers.begin(), headers.end(),
                                 [&](const auto& h) { return h.rfind(prefix, 0) == 0; }),
                  headers.end());
    return headers;
  };
  const auto replaced = [&](std::vector<std::string> headers, const std::string& prefix,
                            const std::string& value) {
    headers = without(std::move(headers), prefix);
    headers.push_back(prefix + " " + value);
    return headers;
  };
  const auto ok = [&](const std::string& key) {
    return signed_headers("Pipeline Hook", key, body);
  };
  EXPECT_EQ(request(without(ok("rejected-no-token"), "X-Gitlab-Token:"), body), 401);
  EXPECT_EQ(request(replaced(ok("rejected-wrong-token"), "X-Gitlab-Token:", "nope"), body), 401);
  EXPECT_EQ(request(without(ok("rejected-unsigned"), "webhook-signature:"), body), 401);
  EXPECT_EQ(request(gitlab_webhook_headers("Pipeline Hook", "rejected-token-only", kToken), body),
            401);
  EXPECT_EQ(request(ok("rejected-tampered"), body + " "), 401);
  EXPECT_EQ(
      request(signed_headers("Pipeline Hook", "rejected-stale", body, epoch_seconds() - 600), body),
      401);
  EXPECT_EQ(request(signed_headers("Pipeline Hook", "rejected-future", body, epoch_seconds() + 600),
                    body),
            401);
  EXPECT_EQ(request(without(ok("rejected-no-event"), "X-Gitlab-Event:"), body), 400);
  EXPECT_EQ(request(signed_headers("Pipeline Hook", "rejected-not-json", "{nope"), "{nope"), 400);
  const std::string empty = R"({"object_kind":"pipeline"})";
  EXPECT_EQ(request(signed_headers("Pipeline Hook", "rejected-missing-fields", empty), empty), 400);
  EXPECT_EQ(request(signed_headers("Job Hook", "rejected-kind", body), body), 400);
  EXPECT_EQ(request(signed_headers("Push Hook", "rejected-push", body), body), 202);
  // A marker delivery that is accepted, so we know the reads saw the topics.
  ASSERT_EQ(deliver(client, "Pipeline Hook", "gitlab-accepted-marker", body).status, 202);

  std::size_t seen = 0;
  for (const char* topic :
       {topics::kGitLabPipeline, topics::kGitLabJob, topics::kWorkflowRun, topics::kWorkflowJob}) {
    for (const auto& m : read_topic(broker_->bootstrap(), topic, 1000, std::chrono::seconds(3))) {
      const auto id = header_of(m, "ce_id");
      EXPECT_EQ(id.rfind("rejected-", 0), std::string::npos) << id << " was published";
      EXPECT_EQ(id.rfind("msg_rejected-", 0), std::string::npos) << id << " was published";
      seen += id == "gitlab-accepted-marker";
    }
  }
  EXPECT_EQ(seen, 1u);
  // Rejections are logged without the token.
  EXPECT_EQ(ingest_->log().find("nope"), std::string::npos);
  EXPECT_EQ(ingest_->log().find(kToken), std::string::npos);
}

TEST_F(IngestGitLabTest, RefusesOversizedBodiesAndTheTokenAloneWithoutSigningSecrets) {
  auto payload = json::parse(gitlab_example("pipeline"));
  const std::string padding(200 * 1024, 'x');
  payload.AddMember("padding", json::Value(padding.c_str(), payload.GetAllocator()),
                    payload.GetAllocator());
  const auto big = json::serialize(payload);
  // A server with a small limit and no signing secret: the token authenticates.
  auto small = start_ingest(
      {{"FAULTLINE_INGEST_MAX_BODY_BYTES", "100000"}, {"FAULTLINE_GITLAB_SIGNING_SECRETS", ""}});
  const auto small_url = url_of(port_);
  HttpClient client;
  const auto refused = client.request(
      "POST", small_url, gitlab_webhook_headers("Pipeline Hook", "too-big", kToken), big);
  EXPECT_EQ(refused.status, 413);
  EXPECT_EQ(refused.headers.at("content-type"), "application/problem+json");
  HttpClient other;
  const auto body = gitlab_example("pipeline");
  const auto accepted = other.request(
      "POST", small_url, gitlab_webhook_headers("Pipeline Hook", "token-only", "old-token"), body);
  EXPECT_EQ(accepted.status, 202) << accepted.body;
}

}  // namespace
}  // namespace faultline::testing
