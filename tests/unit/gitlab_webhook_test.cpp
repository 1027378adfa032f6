#include "ingest/gitlab_webhook.hpp"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <variant>

#include "common/gitlab_events.hpp"
#include "common/json.hpp"
#include "tests/support/examples.hpp"
#include "tests/support/webhook_replies.hpp"

namespace faultline {
namespace {

using ingest::GitLabTokenVerifier;
using ingest::GitLabWebhookRequest;
using ingest::StandardWebhookVerifier;
using ingest::WebhookOutcome;
using testing::problem_detail;
using testing::problem_type;
using testing::reply_of;

constexpr const char* kToken = "gitlab-test-token";
constexpr std::size_t kLimit = 25 * 1024 * 1024;
constexpr const char* kKey = "a signing key of 24 bytes";
constexpr std::int64_t kNow = 1764670000;

const std::string& pipeline_example() {
  static const auto body = testing::gitlab_example("pipeline");
  return body;
}

const std::string& build_example() {
  static const auto body = testing::gitlab_example("build");
  return body;
}

// `example` with `edit` applied to its parsed JSON.
template <class Edit>
std::string edited(const std::string& example, Edit edit) {
  auto document = json::parse(example);
  edit(document);
  return json::serialize(document);
}

// A delivery as GitLab sends it. Owns the strings the request views; an
// entry of `headers` set to nullopt is left out.
struct Sent {
  std::string body;
  std::map<std::string, std::optional<std::string>> headers{
      {"X-Gitlab-Token", kToken},
      {"X-Gitlab-Event", "Pipeline Hook"},
      {"Idempotency-Key", "0f3c5f4e-8f0e-4c4e-9b8e-3c2d1e0f9a8b"},
      {"X-Gitlab-Event-UUID", "b6d3a2e1-7c4f-4a4b-8d9e-1f2a3b4c5d6e"},
      {"X-Gitlab-Instance", "https://gitlab.example.com"},
  };
  std::int64_t now = kNow;

  static Sent of(std::string body, const char* event = "Pipeline Hook") {
    Sent sent;
    sent.body = std::move(body);
    sent.headers["X-Gitlab-Event"] = event;
    return sent;
  }

  Sent& with(const std::string& name, std::optional<std::string> value) {
    headers[name] = std::move(value);
    return *this;
  }

  // Signed the Standard Webhooks way at `timestamp` under `key`.
  Sent& signed_with(const std::string& key = kKey, std::int64_t timestamp = kNow) {
    const std::string id = "msg_2mJDEtEXC0Jx7Q5nV5lnOeZJ4q1";
    return with("webhook-id", id)
        .with("webhook-timestamp", std::to_string(timestamp))
        .with("webhook-signature", StandardWebhookVerifier::sign(key, id, timestamp, body));
  }

  GitLabWebhookRequest request() const {
    auto view = [&](const char* name) -> std::optional<std::string_view> {
      const auto found = headers.find(name);
      if (found == headers.end() || !found->second)
        return std::nullopt;
      return std::string_view(*found->second);
    };
    return GitLabWebhookRequest{
        body,
        view("X-Gitlab-Token"),
        view("X-Gitlab-Event"),
        view("Idempotency-Key"),
        view("X-Gitlab-Event-UUID"),
        view("X-Gitlab-Instance"),
        {view("webhook-id"), view("webhook-timestamp"), view("webhook-signature")},
        "2026-12-02T10:00:00.000Z",
        now};
  }

  WebhookOutcome handle(const std::vector<std::string>& tokens = {kToken},
                        const std::vector<std::string>& keys = {},
                        std::size_t limit = kLimit) const {
    const GitLabTokenVerifier token_verifier(tokens);
    const StandardWebhookVerifier signature_verifier(keys, std::chrono::minutes(5));
    return ingest::handle_gitlab_webhook(request(), {token_verifier, signature_verifier}, limit);
  }
};

const kafka::OutgoingMessage& message_of(const WebhookOutcome& outcome) {
  static const kafka::OutgoingMessage none{};
  const auto* message = std::get_if<kafka::OutgoingMessage>(&outcome);
  if (!message) {
    ADD_FAILURE() << "expected a message, got " << reply_of(outcome).status << " "
                  << reply_of(outcome).body;
    return none;
  }
  return *message;
}

std::string header(const kafka::OutgoingMessage& message, const std::string& name) {
  for (const auto& h : message.headers)
    if (h.name == name)
      return h.value;
  return "(absent)";
}

TEST(GitLabWebhook, ThePipelineHookExampleIsPublished) {
  const auto outcome = Sent::of(pipeline_example()).handle();
  const auto& message = message_of(outcome);
  EXPECT_EQ(message.topic, "ci.gitlab_pipeline.v1");
  EXPECT_EQ(message.key, "1/31");  // <project_id>/<pipeline_id>
  EXPECT_EQ(header(message, "ce_specversion"), "1.0");
  EXPECT_EQ(header(message, "ce_id"), "0f3c5f4e-8f0e-4c4e-9b8e-3c2d1e0f9a8b");
  EXPECT_EQ(header(message, "ce_type"), "com.gitlab.pipeline.success");
  EXPECT_EQ(header(message, "ce_source"), "http://192.168.64.1:3005/gitlab-org/gitlab-test");
  EXPECT_EQ(header(message, "ce_time"), "2026-12-02T10:00:00.000Z");
  EXPECT_EQ(header(message, "content-type"), "application/json");

  const auto event = events::parse_gitlab_pipeline_event(message.value);
  EXPECT_EQ(event.envelope.delivery_id, "0f3c5f4e-8f0e-4c4e-9b8e-3c2d1e0f9a8b");
  EXPECT_EQ(event.envelope.event_uuid, "b6d3a2e1-7c4f-4a4b-8d9e-1f2a3b4c5d6e");
  EXPECT_EQ(event.envelope.instance, "https://gitlab.example.com");
  EXPECT_EQ(event.envelope.source, "webhook");
  EXPECT_EQ(event.envelope.project.id, 1);
  EXPECT_EQ(event.envelope.project.path_with_namespace, "gitlab-org/gitlab-test");
  const auto& p = event.pipeline;
  EXPECT_EQ(p.id, 31);
  EXPECT_EQ(p.ref, "master");
  EXPECT_FALSE(p.tag);
  EXPECT_EQ(p.sha, "bcbb5ec396a2c0f828686f14fac9b80b780504f2");
  EXPECT_EQ(p.source, "merge_request_event");
  EXPECT_EQ(p.status, "success");
  EXPECT_EQ(p.detailed_status, "passed");
  // "2016-08-12 15:23:28 UTC" as sent, RFC 3339 as published.
  EXPECT_EQ(p.created_at, "2016-08-12T15:23:28Z");
  EXPECT_EQ(p.finished_at, "2016-08-12T15:26:29Z");
  EXPECT_EQ(p.duration, 63.0);
  EXPECT_EQ(p.queued_duration, 12.0);
  // What the hook says of people and variables is not copied.
  EXPECT_EQ(message.value.find("user1@example.com"), std::string::npos);
  EXPECT_EQ(message.value.find("NESTOR_PROD_ENVIRONMENT"), std::string::npos);
}

TEST(GitLabWebhook, TheJobHookExampleIsPublishedOnItsPipelinesPartition) {
  const auto outcome = Sent::of(build_example(), "Job Hook").handle();
  const auto& message = message_of(outcome);
  EXPECT_EQ(message.topic, "ci.gitlab_job.v1");
  EXPECT_EQ(message.key, "380/2366");  // <project_id>/<pipeline_id>
  EXPECT_EQ(header(message, "ce_type"), "com.gitlab.job.created");
  EXPECT_EQ(header(message, "ce_source"), "http://192.168.64.1:3005/gitlab-org/gitlab-test");
  const auto event = events::parse_gitlab_job_event(message.value);
  EXPECT_EQ(event.envelope.project.id, 380);
  EXPECT_EQ(event.envelope.project.web_url, "http://192.168.64.1:3005/gitlab-org/gitlab-test");
  const auto& j = event.job;
  EXPECT_EQ(j.id, 1977);
  EXPECT_EQ(j.pipeline_id, 2366);
  EXPECT_EQ(j.name, "test");
  EXPECT_EQ(j.stage, "test");
  EXPECT_EQ(j.ref, "gitlab-script-trigger");
  EXPECT_EQ(j.status, "created");
  EXPECT_EQ(j.failure_reason, "script_failure");
  EXPECT_FALSE(j.allow_failure);
  EXPECT_EQ(j.runner_description, "shared-runners-manager-6.gitlab.com");
  EXPECT_EQ(j.runner_tags, (std::vector<std::string>{"linux", "docker"}));
  EXPECT_EQ(j.created_at, "2021-02-23T02:41:37.886Z");
  EXPECT_EQ(j.started_at, std::nullopt);
  EXPECT_EQ(j.duration, std::nullopt);
}

TEST(GitLabWebhook, AJobAndItsPipelineShareAKey) {
  const auto pipeline = edited(pipeline_example(), [](json::Document& d) {
    d["project"]["id"].SetInt64(380);
    d["object_attributes"]["id"].SetInt64(2366);
  });
  EXPECT_EQ(message_of(Sent::of(pipeline).handle()).key,
            message_of(Sent::of(build_example(), "Job Hook").handle()).key);
}

TEST(GitLabWebhook, ANewerJobHooksProjectObjectIsRead) {
  const auto body = edited(build_example(), [](json::Document& d) {
    json::Value project(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    project.AddMember("id", 380, a);
    project.AddMember("path_with_namespace", "gitlab-org/gitlab-test", a);
    project.AddMember("web_url", "https://gitlab.example.com/gitlab-org/gitlab-test", a);
    d.AddMember("project", project, a);
    d["build_duration"].SetDouble(12.5);
    d["build_started_at"].SetString("2021-02-23T03:41:37+01:00");
  });
  const auto event =
      events::parse_gitlab_job_event(message_of(Sent::of(body, "Job Hook").handle()).value);
  EXPECT_EQ(event.envelope.project.path_with_namespace, "gitlab-org/gitlab-test");
  EXPECT_EQ(event.envelope.project.web_url, "https://gitlab.example.com/gitlab-org/gitlab-test");
  EXPECT_EQ(event.job.duration, 12.5);
  EXPECT_EQ(event.job.started_at, "2021-02-23T02:41:37Z");

  // A project object that names another project than project_id is refused.
  const auto other = edited(body, [](json::Document& d) { d["project"]["id"].SetInt64(381); });
  EXPECT_NE(problem_detail(reply_of(Sent::of(other, "Job Hook").handle()), 400).find("project.id"),
            std::string::npos);
}

TEST(GitLabWebhook, ASourceIsThePagesUrlOnlyWhenItIsAPrintableHttpUrl) {
  const auto source = [](const char* web_url) {
    const auto body = edited(pipeline_example(), [&](json::Document& d) {
      d["project"]["web_url"].SetString(web_url, d.GetAllocator());
    });
    return header(message_of(Sent::of(body).handle()), "ce_source");
  };
  EXPECT_EQ(source("https://gitlab.com/group/project"), "https://gitlab.com/group/project");
  // Found by gitlab_webhook_fuzz: the page's URL is the body's to choose.
  for (const char* odd : {"https://gitlab.com/gr\xc5\xbaoup", "https://gitlab.com/a b",
                          "https://gitlab.com/a\r\nce_id: forged", "javascript:alert(1)", ""})
    EXPECT_EQ(source(odd), "urn:gitlab:project:1") << odd;
}

TEST(GitLabWebhook, TheTokenIsRequiredAndMustMatch) {
  const auto missing = reply_of(Sent::of(pipeline_example()).with("X-Gitlab-Token", {}).handle());
  EXPECT_NE(problem_detail(missing, 401).find("X-Gitlab-Token"), std::string::npos);
  EXPECT_EQ(problem_type(missing), "urn:faultline:problem:invalid-token");
  const auto empty = reply_of(Sent::of(pipeline_example()).with("X-Gitlab-Token", "").handle());
  problem_detail(empty, 401);
  const auto wrong =
      reply_of(Sent::of(pipeline_example()).with("X-Gitlab-Token", "not-our-token").handle());
  EXPECT_NE(problem_detail(wrong, 401).find("does not match"), std::string::npos);
  // Rotation: any listed token verifies.
  EXPECT_TRUE(std::holds_alternative<kafka::OutgoingMessage>(
      Sent::of(pipeline_example()).handle({"new-token", kToken})));
}

TEST(GitLabWebhook, WithNothingConfiguredEveryDeliveryIsRefused) {
  const auto reply = reply_of(Sent::of(pipeline_example()).handle({}, {}));
  EXPECT_NE(problem_detail(reply, 401).find("not configured"), std::string::npos);
}

TEST(GitLabWebhook, WithSigningSecretsASignatureIsRequired) {
  const std::vector<std::string> keys{kKey};
  // Signed and with the token: published.
  EXPECT_TRUE(std::holds_alternative<kafka::OutgoingMessage>(
      Sent::of(pipeline_example()).signed_with().handle({kToken}, keys)));
  // Signed, no token configured: the signature alone authenticates.
  EXPECT_TRUE(std::holds_alternative<kafka::OutgoingMessage>(
      Sent::of(pipeline_example()).with("X-Gitlab-Token", {}).signed_with().handle({}, keys)));
  // The token alone is not enough once a signing secret is set.
  const auto unsigned_reply = reply_of(Sent::of(pipeline_example()).handle({kToken}, keys));
  EXPECT_NE(problem_detail(unsigned_reply, 401).find("webhook-signature"), std::string::npos);
  EXPECT_EQ(problem_type(unsigned_reply), "urn:faultline:problem:invalid-signature");
  // A signature does not stand in for a wrong token.
  problem_detail(reply_of(Sent::of(pipeline_example())
                              .with("X-Gitlab-Token", "wrong")
                              .signed_with()
                              .handle({kToken}, keys)),
                 401);
}

TEST(GitLabWebhook, BadSignaturesAreRefused) {
  const std::vector<std::string> keys{kKey};
  const auto detail = [&](const Sent& sent) {
    return problem_detail(reply_of(sent.handle({kToken}, keys)), 401);
  };
  EXPECT_NE(detail(Sent::of(pipeline_example()).signed_with("another key")).find("does not match"),
            std::string::npos);
  auto tampered = Sent::of(pipeline_example()).signed_with();
  tampered.body.replace(tampered.body.find("success"), 7, "failed ");
  EXPECT_NE(detail(tampered).find("does not match"), std::string::npos);
  EXPECT_NE(detail(Sent::of(pipeline_example()).signed_with(kKey, kNow - 301)).find("too far"),
            std::string::npos);
  EXPECT_NE(detail(Sent::of(pipeline_example()).signed_with(kKey, kNow + 301)).find("too far"),
            std::string::npos);
  EXPECT_NE(
      detail(Sent::of(pipeline_example()).signed_with().with("webhook-id", {})).find("go together"),
      std::string::npos);
  EXPECT_NE(detail(Sent::of(pipeline_example()).signed_with().with("webhook-timestamp", "soon"))
                .find("seconds since the epoch"),
            std::string::npos);
  // Within the tolerance, a delivery GitLab retried a little later still verifies.
  EXPECT_TRUE(std::holds_alternative<kafka::OutgoingMessage>(
      Sent::of(pipeline_example()).signed_with(kKey, kNow - 299).handle({kToken}, keys)));
}

TEST(GitLabWebhook, WithoutSigningSecretsASignatureIsNotChecked) {
  // Nothing to check it with: the token decides.
  EXPECT_TRUE(std::holds_alternative<kafka::OutgoingMessage>(
      Sent::of(pipeline_example()).signed_with("whatever key", 1).handle({kToken}, {})));
}

TEST(GitLabWebhook, SizeIsCheckedBeforeAuthentication) {
  const auto reply =
      reply_of(Sent::of(pipeline_example()).with("X-Gitlab-Token", {}).handle({kToken}, {}, 1024));
  EXPECT_NE(problem_detail(reply, 413).find("larger than 1024 bytes"), std::string::npos);
  EXPECT_EQ(problem_type(reply), "urn:faultline:problem:payload-too-large");
}

TEST(GitLabWebhook, TheDeliveryIdIsTheIdempotencyKeyThenWebhookIdThenTheEventUuid) {
  auto sent = Sent::of(pipeline_example()).signed_with();
  EXPECT_EQ(header(message_of(sent.handle()), "ce_id"), "0f3c5f4e-8f0e-4c4e-9b8e-3c2d1e0f9a8b");
  sent.with("Idempotency-Key", {});
  EXPECT_EQ(header(message_of(sent.handle()), "ce_id"), "msg_2mJDEtEXC0Jx7Q5nV5lnOeZJ4q1");
  sent.with("webhook-id", {}).with("webhook-timestamp", {}).with("webhook-signature", {});
  EXPECT_EQ(header(message_of(sent.handle()), "ce_id"), "b6d3a2e1-7c4f-4a4b-8d9e-1f2a3b4c5d6e");
  sent.with("X-Gitlab-Event-UUID", {});
  EXPECT_NE(problem_detail(reply_of(sent.handle()), 400).find("Idempotency-Key"),
            std::string::npos);
}

TEST(GitLabWebhook, AMalformedDeliveryIdIsRefusedNotReplaced) {
  for (const std::string& bad : {std::string("has space"), std::string(129, 'k'),
                                 std::string("tab\there"), std::string("caf\xc3\xa9")})
    problem_detail(reply_of(Sent::of(pipeline_example()).with("Idempotency-Key", bad).handle()),
                   400);
}

TEST(GitLabWebhook, MissingEventHeaderIsABadRequest) {
  const auto reply = reply_of(Sent::of(pipeline_example()).with("X-Gitlab-Event", {}).handle());
  EXPECT_NE(problem_detail(reply, 400).find("X-Gitlab-Event"), std::string::npos);
  EXPECT_EQ(problem_type(reply), "urn:faultline:problem:missing-header");
}

TEST(GitLabWebhook, OtherEventsAreIgnored) {
  for (const char* event : {"Push Hook", "Merge Request Hook", "pipeline", "Pipeline hook",
                            "Deployment Hook", "System Hook"}) {
    const auto reply = reply_of(Sent::of(pipeline_example(), event).handle());
    EXPECT_EQ(reply.status, 202) << event;
    EXPECT_EQ(reply.body, R"({"ignored":true})") << event;
  }
  // Even with a body that is not JSON: ignored events are not read.
  EXPECT_EQ(reply_of(Sent::of("not json", "Push Hook").handle()).status, 202);
}

TEST(GitLabWebhook, BodiesThatAreNotTheEventAreBadRequests) {
  const auto invalid = [](const std::string& body, const char* event = "Pipeline Hook") {
    const auto reply = reply_of(Sent::of(body, event).handle());
    return problem_detail(reply, 400);
  };
  EXPECT_NE(invalid("{\"object_kind\": ").find("not JSON"), std::string::npos);
  EXPECT_NE(invalid("").find("not JSON"), std::string::npos);
  EXPECT_NE(invalid("[1,2]").find("not a JSON object"), std::string::npos);
  // The header and the body disagree.
  EXPECT_NE(invalid(build_example()).find("object_kind"), std::string::npos);
  EXPECT_NE(invalid(pipeline_example(), "Job Hook").find("object_kind"), std::string::npos);
  const auto without = [](const char* object, const char* key) {
    return edited(pipeline_example(), [=](json::Document& d) {
      if (object)
        d[object].RemoveMember(key);
      else
        d.RemoveMember(key);
    });
  };
  EXPECT_NE(invalid(without(nullptr, "project")).find("project"), std::string::npos);
  EXPECT_NE(invalid(without(nullptr, "object_attributes")).find("object_attributes"),
            std::string::npos);
  EXPECT_NE(invalid(without("object_attributes", "id")).find("object_attributes.id: missing"),
            std::string::npos);
  EXPECT_NE(invalid(without("object_attributes", "status")).find("object_attributes.status"),
            std::string::npos);
  EXPECT_NE(invalid(without("project", "id")).find("project.id: missing"), std::string::npos);
  const auto with = [](const char* key, const char* value) {
    return edited(pipeline_example(), [=](json::Document& d) {
      d["object_attributes"][key].SetString(value, d.GetAllocator());
    });
  };
  EXPECT_NE(invalid(with("created_at", "yesterday")).find("object_attributes.created_at"),
            std::string::npos);
  EXPECT_NE(invalid(with("created_at", "2016-08-12 15:23:28")).find("not a time"),
            std::string::npos);
  EXPECT_NE(invalid(with("status", "Success")).find("not a GitLab status"), std::string::npos);
  EXPECT_NE(invalid(with("status", "succ\r\nce_type: x")).find("not a GitLab status"),
            std::string::npos);
  const auto job_without = [](const char* key) {
    return edited(build_example(), [=](json::Document& d) { d.RemoveMember(key); });
  };
  for (const char* key : {"build_id", "pipeline_id", "project_id", "build_status"})
    EXPECT_NE(invalid(job_without(key), "Job Hook").find(key), std::string::npos) << key;
  const auto negative = edited(build_example(), [](json::Document& d) { d["pipeline_id"] = -1; });
  EXPECT_NE(invalid(negative, "Job Hook").find("must be positive"), std::string::npos);
}

TEST(GitLabWebhook, TheSameProblemBodiesAsGitHubs) {
  // The shared rules answer both endpoints alike.
  const GitLabTokenVerifier tokens({kToken});
  const StandardWebhookVerifier signatures({}, std::chrono::minutes(5));
  const auto sent = Sent::of("{oops");
  const auto gitlab_reply =
      reply_of(ingest::handle_gitlab_webhook(sent.request(), {tokens, signatures}, kLimit));
  const ingest::SignatureVerifier verifier({"s"});
  const std::string body = "{oops";
  const std::string signature = ingest::SignatureVerifier::sign("s", body);
  const ingest::WebhookRequest github{body, signature, "workflow_run", "d", {}, {}, {}, "t"};
  const auto github_reply = reply_of(ingest::handle_webhook(github, verifier, kLimit));
  EXPECT_EQ(gitlab_reply.status, 400);
  EXPECT_EQ(gitlab_reply.body, github_reply.body);
  EXPECT_EQ(gitlab_reply.content_type, github_reply.content_type);
}

}  // namespace
}  // namespace faultline
