#include "ingest/webhook.hpp"

#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "common/events.hpp"
#include "common/json.hpp"
#include "common/problem.hpp"
#include "common/webhook_secrets.hpp"
#include "tests/support/examples.hpp"
#include "tests/support/webhook_replies.hpp"

namespace faultline {
namespace {

// Read once: the examples file is large.
const std::vector<testing::ExamplePayload>& examples() {
  static const auto all = testing::webhook_examples();
  return all;
}

using ingest::SignatureVerifier;
using ingest::WebhookOutcome;
using ingest::WebhookRequest;
using testing::problem_detail;
using testing::reply_of;

constexpr const char* kSecret = "webhook-test-secret";
constexpr std::size_t kLimit = 25 * 1024 * 1024;
constexpr const char* kDeliveryId = "72d3162e-cc78-11e3-81ab-4c9367dc0958";

std::string example_body(const std::string& event) {
  for (const auto& example : examples())
    if (example.event == event)
      return example.body;
  ADD_FAILURE() << "no " << event << " example";
  return {};
}

// A request as GitHub would send it: the body, its signature and the headers.
// Owns the strings the WebhookRequest views.
struct Sent {
  std::string body;
  std::optional<std::string> signature;
  std::optional<std::string> event;
  std::optional<std::string> delivery_id = std::string(kDeliveryId);
  std::optional<std::string> hook_id = std::string("123");
  std::optional<std::string> target_type, target_id;

  static Sent signed_with(std::string body, std::optional<std::string> event,
                          const std::string& secret = kSecret) {
    Sent sent;
    sent.signature = SignatureVerifier::sign(secret, body);
    sent.body = std::move(body);
    sent.event = std::move(event);
    return sent;
  }

  WebhookOutcome handle(std::size_t limit = kLimit) const {
    const SignatureVerifier verifier({kSecret});
    auto view = [](const std::optional<std::string>& s) -> std::optional<std::string_view> {
      if (!s)
        return std::nullopt;
      return std::string_view(*s);
    };
    const WebhookRequest request{
        body,          view(signature),   view(event),     view(delivery_id),
        view(hook_id), view(target_type), view(target_id), "2026-11-23T10:00:00.000Z"};
    return ingest::handle_webhook(request, verifier, limit);
  }
};

TEST(Webhook, SignedWorkflowRunIsPublished) {
  const auto body = example_body("workflow_run");
  const auto outcome = Sent::signed_with(body, "workflow_run").handle();
  const auto* message = std::get_if<kafka::OutgoingMessage>(&outcome);
  ASSERT_NE(message, nullptr) << reply_of(outcome).body;
  const auto payload = json::parse(body);
  EXPECT_EQ(message->topic, "ci.workflow_run.v1");
  EXPECT_EQ(message->key, std::to_string(payload["repository"]["id"].GetInt64()) + "/" +
                              std::to_string(payload["workflow_run"]["id"].GetInt64()));
  const auto event = events::parse_workflow_run_event(message->value);
  EXPECT_EQ(event.envelope.delivery_id, kDeliveryId);
  EXPECT_EQ(event.envelope.hook_id, 123);
  EXPECT_EQ(event.envelope.received_at, "2026-11-23T10:00:00.000Z");
  EXPECT_EQ(event.run.id, payload["workflow_run"]["id"].GetInt64());
  bool has_ce_id = false;
  for (const auto& h : message->headers)
    if (h.name == "ce_id")
      has_ce_id = h.value == kDeliveryId;
  EXPECT_TRUE(has_ce_id);
}

TEST(Webhook, SignedWorkflowJobIsPublished) {
  const auto body = example_body("workflow_job");
  const auto outcome = Sent::signed_with(body, "workflow_job").handle();
  const auto* message = std::get_if<kafka::OutgoingMessage>(&outcome);
  ASSERT_NE(message, nullptr) << reply_of(outcome).body;
  const auto payload = json::parse(body);
  EXPECT_EQ(message->topic, "ci.workflow_job.v1");
  EXPECT_EQ(message->key, std::to_string(payload["repository"]["id"].GetInt64()) + "/" +
                              std::to_string(payload["workflow_job"]["run_id"].GetInt64()));
  const auto event = events::parse_workflow_job_event(message->value);
  EXPECT_EQ(event.job.id, payload["workflow_job"]["id"].GetInt64());
}

TEST(Webhook, EveryExampleIsPublished) {
  for (const auto& example : examples()) {
    const auto outcome = Sent::signed_with(example.body, example.event).handle();
    EXPECT_TRUE(std::holds_alternative<kafka::OutgoingMessage>(outcome))
        << example.event << ": " << reply_of(outcome).body;
  }
}

TEST(Webhook, UnparsableHookIdIsDroppedNotRejected) {
  auto sent = Sent::signed_with(example_body("workflow_run"), "workflow_run");
  for (const char* hook_id : {"abc", "-5", "0", "12x"}) {
    sent.hook_id = hook_id;
    const auto outcome = sent.handle();
    const auto* message = std::get_if<kafka::OutgoingMessage>(&outcome);
    ASSERT_NE(message, nullptr) << hook_id;
    EXPECT_EQ(events::parse_workflow_run_event(message->value).envelope.hook_id, std::nullopt);
  }
  sent.hook_id.reset();
  EXPECT_TRUE(std::holds_alternative<kafka::OutgoingMessage>(sent.handle()));
}

TEST(Webhook, PingIsAnswered200) {
  const auto reply =
      reply_of(Sent::signed_with(R"({"zen":"Keep it logically awesome."})", "ping").handle());
  EXPECT_EQ(reply.status, 200);
  EXPECT_NO_THROW(json::parse(reply.body));
}

TEST(Webhook, OtherEventsAreIgnoredWith202) {
  for (const char* event : {"push", "check_run", "installation", "pull_request_review"}) {
    const auto reply = reply_of(Sent::signed_with(R"({"ref":"refs/heads/main"})", event).handle());
    EXPECT_EQ(reply.status, 202) << event;
    EXPECT_EQ(reply.content_type, "application/json");
    const auto body = json::parse(reply.body);
    ASSERT_TRUE(body.IsObject() && body.HasMember("ignored")) << reply.body;
    EXPECT_TRUE(body["ignored"].IsBool() && body["ignored"].GetBool()) << reply.body;
  }
}

TEST(Webhook, MissingSignatureIs401) {
  auto sent = Sent::signed_with(example_body("workflow_run"), "workflow_run");
  sent.signature.reset();
  problem_detail(reply_of(sent.handle()), 401);
  sent.signature = "";
  problem_detail(reply_of(sent.handle()), 401);
}

TEST(Webhook, BadSignatureIs401) {
  const auto body = example_body("workflow_run");
  // Signed with another secret.
  problem_detail(reply_of(Sent::signed_with(body, "workflow_run", "not-the-secret").handle()), 401);
  // Malformed.
  auto sent = Sent::signed_with(body, "workflow_run");
  sent.signature = "sha1=0123456789abcdef0123456789abcdef01234567";
  problem_detail(reply_of(sent.handle()), 401);
  // Valid for another body.
  sent = Sent::signed_with(body, "workflow_run");
  sent.body += " ";
  problem_detail(reply_of(sent.handle()), 401);
}

// A hook Faultline created signs with the repository's own secret.
Sent signed_for_repository(const std::string& body, std::int64_t signed_for, std::int64_t hook_on) {
  auto sent =
      Sent::signed_with(body, "workflow_run", repository_webhook_secret(kSecret, signed_for));
  sent.target_type = "repository";
  sent.target_id = std::to_string(hook_on);
  return sent;
}

TEST(Webhook, RepositorySecretVerifiesItsOwnRepository) {
  const auto body = example_body("workflow_run");
  const auto repository = json::parse(body)["repository"]["id"].GetInt64();
  const auto outcome = signed_for_repository(body, repository, repository).handle();
  EXPECT_NE(std::get_if<kafka::OutgoingMessage>(&outcome), nullptr) << reply_of(outcome).body;
}

TEST(Webhook, RepositorySecretSpeaksForNoOtherRepository) {
  const auto body = example_body("workflow_run");
  const auto repository = json::parse(body)["repository"]["id"].GetInt64();
  // A hook secret of another repository, presented as that repository's hook.
  const auto detail = problem_detail(
      reply_of(signed_for_repository(body, repository + 1, repository + 1).handle()), 401);
  EXPECT_NE(detail.find("another repository"), std::string::npos) << detail;
  // Signed for another repository than the hook is on.
  problem_detail(reply_of(signed_for_repository(body, repository + 1, repository).handle()), 401);
  // A repository secret without the repository headers, or on an organization hook.
  auto sent = signed_for_repository(body, repository, repository);
  sent.target_type.reset();
  problem_detail(reply_of(sent.handle()), 401);
  sent.target_type = "organization";
  problem_detail(reply_of(sent.handle()), 401);
  sent.target_type = "repository";
  sent.target_id = "not-a-number";
  problem_detail(reply_of(sent.handle()), 401);
}

TEST(Webhook, PingAndIgnoredEventsStillNeedASignature) {
  for (const char* event : {"ping", "push"}) {
    auto sent = Sent::signed_with("{}", event);
    sent.signature.reset();
    problem_detail(reply_of(sent.handle()), 401);
  }
}

TEST(Webhook, UnsignedGarbageIs401BeforeAny400) {
  Sent sent;
  sent.body = "this is not JSON";
  sent.event.reset();
  sent.delivery_id.reset();
  problem_detail(reply_of(sent.handle()), 401);
  sent.signature = "sha256=" + std::string(64, '0');
  problem_detail(reply_of(sent.handle()), 401);
}

TEST(Webhook, MissingEventHeaderIs400) {
  auto sent = Sent::signed_with(example_body("workflow_run"), std::nullopt);
  const auto detail = problem_detail(reply_of(sent.handle()), 400);
  EXPECT_NE(detail.find("X-GitHub-Event"), std::string::npos) << detail;
  sent.event = "";
  problem_detail(reply_of(sent.handle()), 400);
}

TEST(Webhook, MissingOrMalformedDeliveryHeaderIs400) {
  auto sent = Sent::signed_with(example_body("workflow_run"), "workflow_run");
  sent.delivery_id.reset();
  const auto detail = problem_detail(reply_of(sent.handle()), 400);
  EXPECT_NE(detail.find("X-GitHub-Delivery"), std::string::npos) << detail;
  for (const std::string& bad : {std::string(""), std::string("has space"), std::string(200, 'a'),
                                 std::string("line\nbreak")}) {
    sent.delivery_id = bad;
    problem_detail(reply_of(sent.handle()), 400);
  }
}

TEST(Webhook, BodyNotJsonIs400SayingJson) {
  for (const char* body : {"this is not JSON", "{\"action\":", "", "{} trailing"}) {
    const auto detail =
        problem_detail(reply_of(Sent::signed_with(body, "workflow_run").handle()), 400);
    EXPECT_NE(detail.find("JSON"), std::string::npos) << detail;
  }
}

TEST(Webhook, JsonParseErrorDoesNotEchoTheBody) {
  const auto detail = problem_detail(
      reply_of(Sent::signed_with(R"({"token": SUPERSECRETVALUE})", "workflow_run").handle()), 400);
  EXPECT_EQ(detail.find("SUPERSECRETVALUE"), std::string::npos) << detail;
}

TEST(Webhook, MissingRequiredFieldIs400NamingIt) {
  auto document = json::parse(example_body("workflow_run"));
  document["workflow_run"].RemoveMember("id");
  auto detail = problem_detail(
      reply_of(Sent::signed_with(json::serialize(document), "workflow_run").handle()), 400);
  EXPECT_NE(detail.find("workflow_run.id"), std::string::npos) << detail;

  document = json::parse(example_body("workflow_job"));
  document.RemoveMember("repository");
  detail = problem_detail(
      reply_of(Sent::signed_with(json::serialize(document), "workflow_job").handle()), 400);
  EXPECT_NE(detail.find("repository"), std::string::npos) << detail;

  document = json::parse(example_body("workflow_run"));
  document["workflow_run"]["status"].SetInt(7);
  detail = problem_detail(
      reply_of(Sent::signed_with(json::serialize(document), "workflow_run").handle()), 400);
  EXPECT_NE(detail.find("workflow_run.status"), std::string::npos) << detail;
}

TEST(Webhook, JsonThatIsNotAnObjectIs400) {
  for (const char* body : {"[]", "42", "\"text\"", "null"})
    problem_detail(reply_of(Sent::signed_with(body, "workflow_run").handle()), 400);
}

TEST(Webhook, BodyOverTheLimitIs413) {
  const auto body = example_body("workflow_run");
  const auto sent = Sent::signed_with(body, "workflow_run");
  problem_detail(reply_of(sent.handle(body.size() - 1)), 413);
  // Exactly at the limit is accepted.
  EXPECT_TRUE(std::holds_alternative<kafka::OutgoingMessage>(sent.handle(body.size())));
}

TEST(Webhook, BodyOverTheLimitIs413EvenUnsigned) {
  Sent sent;
  sent.body = std::string(2048, 'x');
  problem_detail(reply_of(sent.handle(1024)), 413);
}

}  // namespace
}  // namespace faultline
