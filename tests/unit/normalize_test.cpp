#include "ingest/normalize.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "common/events.hpp"
#include "common/json.hpp"
#include "common/topics.hpp"
#include "tests/support/examples.hpp"

namespace faultline {
namespace {

// Read once: the examples file is large.
const std::vector<testing::ExamplePayload>& examples() {
  static const auto all = testing::webhook_examples();
  return all;
}

using ingest::Delivery;

constexpr const char* kDeliveryId = "delivery-guid";
constexpr std::int64_t kHookId = 123;
constexpr const char* kReceivedAt = "2026-11-23T10:00:00.000Z";

Delivery delivery_for(const std::string& event) {
  return Delivery{event, kDeliveryId, kHookId, kReceivedAt};
}

std::optional<std::string> header(const kafka::OutgoingMessage& message, const std::string& name) {
  std::optional<std::string> found;
  for (const auto& h : message.headers) {
    if (h.name != name)
      continue;
    EXPECT_FALSE(found) << "header " << name << " appears twice";
    found = h.value;
  }
  return found;
}

std::optional<std::string> optional_string(const json::Value& object, const char* key) {
  const auto value = json::string_member(object, key);
  if (!value)
    return std::nullopt;
  return std::string(*value);
}

// The first example of `event`, changed by `edit`.
std::string edited_example(const std::string& event,
                           const std::function<void(json::Document&)>& edit) {
  for (const auto& example : examples()) {
    if (example.event != event)
      continue;
    auto document = json::parse(example.body);
    edit(document);
    return json::serialize(document);
  }
  ADD_FAILURE() << "no " << event << " example";
  return {};
}

kafka::OutgoingMessage normalize_text(const std::string& event, const std::string& body) {
  const auto document = json::parse(body);
  return ingest::normalize(delivery_for(event), document);
}

// Runs `call`, expecting an EventError whose message contains `field`.
void expect_event_error(const std::function<void()>& call, const std::string& field) {
  try {
    call();
    ADD_FAILURE() << "expected an EventError naming " << field;
  } catch (const events::EventError& e) {
    EXPECT_NE(std::string(e.what()).find(field), std::string::npos)
        << "message '" << e.what() << "' does not name " << field;
  }
}

TEST(Normalize, ExamplesCoverBothEvents) {
  std::map<std::string, int> count;
  for (const auto& example : examples())
    ++count[example.event];
  EXPECT_GT(count["workflow_run"], 0);
  EXPECT_GT(count["workflow_job"], 0);
  EXPECT_EQ(count.size(), 2u) << "only workflow_run and workflow_job examples are expected";
}

TEST(Normalize, EveryExampleBecomesAMessage) {
  int index = 0;
  ASSERT_FALSE(examples().empty());
  for (const auto& example : examples()) {
    SCOPED_TRACE("example " + std::to_string(index++) + " (" + example.event + ")");
    const auto payload = json::parse(example.body);
    const bool is_run = example.event == "workflow_run";
    const json::Value& repository = payload["repository"];
    const json::Value& object = payload[is_run ? "workflow_run" : "workflow_job"];
    const std::int64_t repository_id = repository["id"].GetInt64();
    const std::string full_name = repository["full_name"].GetString();
    const std::string action = payload["action"].GetString();
    const std::int64_t id = object["id"].GetInt64();
    const std::int64_t run_id = is_run ? id : object["run_id"].GetInt64();
    const std::int64_t run_attempt = json::integer_member(object, "run_attempt").value_or(1);
    const std::string status = object["status"].GetString();
    const auto conclusion = optional_string(object, "conclusion");

    kafka::OutgoingMessage message;
    ASSERT_NO_THROW(message = ingest::normalize(delivery_for(example.event), payload));

    EXPECT_EQ(message.topic, is_run ? topics::kWorkflowRun : topics::kWorkflowJob);
    EXPECT_EQ(message.topic, is_run ? "ci.workflow_run.v1" : "ci.workflow_job.v1");
    EXPECT_EQ(message.key, std::to_string(repository_id) + "/" + std::to_string(run_id));

    EXPECT_EQ(header(message, "ce_specversion"), "1.0");
    EXPECT_EQ(header(message, "ce_id"), kDeliveryId);
    EXPECT_EQ(header(message, "ce_type"), "com.github." + example.event + "." + action);
    EXPECT_EQ(header(message, "ce_source"), "https://github.com/" + full_name);
    EXPECT_EQ(header(message, "ce_time"), kReceivedAt);
    EXPECT_EQ(header(message, "content-type"), "application/json");

    if (is_run) {
      events::WorkflowRunEvent event;
      ASSERT_NO_THROW(event = events::parse_workflow_run_event(message.value)) << message.value;
      EXPECT_EQ(event.envelope.delivery_id, kDeliveryId);
      EXPECT_EQ(event.envelope.hook_id, kHookId);
      EXPECT_EQ(event.envelope.action, action);
      EXPECT_EQ(event.envelope.source, "webhook");
      EXPECT_EQ(event.envelope.received_at, kReceivedAt);
      EXPECT_EQ(event.envelope.repository.id, repository_id);
      EXPECT_EQ(event.envelope.repository.full_name, full_name);
      EXPECT_EQ(event.run.id, id);
      EXPECT_EQ(event.run.run_attempt, run_attempt);
      EXPECT_EQ(event.run.status, status);
      EXPECT_EQ(event.run.conclusion, conclusion);
      EXPECT_EQ(event.run.head_sha, optional_string(object, "head_sha"));
      EXPECT_EQ(event.run.created_at, optional_string(object, "created_at"));
    } else {
      events::WorkflowJobEvent event;
      ASSERT_NO_THROW(event = events::parse_workflow_job_event(message.value)) << message.value;
      EXPECT_EQ(event.envelope.delivery_id, kDeliveryId);
      EXPECT_EQ(event.envelope.hook_id, kHookId);
      EXPECT_EQ(event.envelope.action, action);
      EXPECT_EQ(event.envelope.source, "webhook");
      EXPECT_EQ(event.envelope.received_at, kReceivedAt);
      EXPECT_EQ(event.envelope.repository.id, repository_id);
      EXPECT_EQ(event.envelope.repository.full_name, full_name);
      EXPECT_EQ(event.job.id, id);
      EXPECT_EQ(event.job.run_id, run_id);
      EXPECT_EQ(event.job.run_attempt, run_attempt);
      EXPECT_EQ(event.job.status, status);
      EXPECT_EQ(event.job.conclusion, conclusion);
      EXPECT_EQ(event.job.head_sha, optional_string(object, "head_sha"));
      EXPECT_EQ(event.job.started_at, optional_string(object, "started_at"));
    }
  }
}

TEST(Normalize, ValueIsNotGitHubsWholePayload) {
  const auto body = edited_example("workflow_run", [](json::Document& d) {
    d.AddMember("sender_secret_marker", "do-not-forward", d.GetAllocator());
  });
  const auto message = normalize_text("workflow_run", body);
  EXPECT_EQ(message.value.find("do-not-forward"), std::string::npos);
  EXPECT_EQ(message.value.find("\"sender\""), std::string::npos);
}

TEST(Normalize, UnknownActionIsNormalizedNotRejected) {
  for (const std::string event : {"workflow_run", "workflow_job"}) {
    SCOPED_TRACE(event);
    const auto body =
        edited_example(event, [](json::Document& d) { d["action"].SetString("some_new_action"); });
    kafka::OutgoingMessage message;
    ASSERT_NO_THROW(message = normalize_text(event, body));
    EXPECT_EQ(header(message, "ce_type"), "com.github." + event + ".some_new_action");
    const auto parsed = json::parse(message.value);
    EXPECT_STREQ(parsed["action"].GetString(), "some_new_action");
  }
}

TEST(Normalize, MissingRunAttemptDefaultsToOne) {
  const auto run_body = edited_example(
      "workflow_run", [](json::Document& d) { d["workflow_run"].RemoveMember("run_attempt"); });
  const auto run = events::parse_workflow_run_event(normalize_text("workflow_run", run_body).value);
  EXPECT_EQ(run.run.run_attempt, 1);

  const auto job_body = edited_example(
      "workflow_job", [](json::Document& d) { d["workflow_job"].RemoveMember("run_attempt"); });
  const auto job = events::parse_workflow_job_event(normalize_text("workflow_job", job_body).value);
  EXPECT_EQ(job.job.run_attempt, 1);
}

TEST(Normalize, RunAttemptIsCarried) {
  const auto body = edited_example(
      "workflow_run", [](json::Document& d) { d["workflow_run"]["run_attempt"].SetInt64(3); });
  const auto event = events::parse_workflow_run_event(normalize_text("workflow_run", body).value);
  EXPECT_EQ(event.run.run_attempt, 3);
}

TEST(Normalize, MissingRepositoryThrowsNamingIt) {
  for (const std::string event : {"workflow_run", "workflow_job"}) {
    SCOPED_TRACE(event);
    const auto body =
        edited_example(event, [](json::Document& d) { d.RemoveMember("repository"); });
    expect_event_error([&] { normalize_text(event, body); }, "repository");
  }
}

TEST(Normalize, MissingRepositoryIdThrowsNamingIt) {
  const auto body =
      edited_example("workflow_run", [](json::Document& d) { d["repository"].RemoveMember("id"); });
  expect_event_error([&] { normalize_text("workflow_run", body); }, "repository.id");
}

TEST(Normalize, MissingWorkflowRunIdThrowsNamingIt) {
  const auto body = edited_example("workflow_run",
                                   [](json::Document& d) { d["workflow_run"].RemoveMember("id"); });
  expect_event_error([&] { normalize_text("workflow_run", body); }, "workflow_run.id");
}

TEST(Normalize, MissingWorkflowRunObjectThrowsNamingIt) {
  const auto body =
      edited_example("workflow_run", [](json::Document& d) { d.RemoveMember("workflow_run"); });
  expect_event_error([&] { normalize_text("workflow_run", body); }, "workflow_run");
}

TEST(Normalize, MissingWorkflowJobRunIdThrowsNamingIt) {
  const auto body = edited_example(
      "workflow_job", [](json::Document& d) { d["workflow_job"].RemoveMember("run_id"); });
  expect_event_error([&] { normalize_text("workflow_job", body); }, "workflow_job.run_id");
}

TEST(Normalize, StatusNotAStringThrowsNamingIt) {
  const auto run_body = edited_example(
      "workflow_run", [](json::Document& d) { d["workflow_run"]["status"].SetInt(5); });
  expect_event_error([&] { normalize_text("workflow_run", run_body); }, "workflow_run.status");
  const auto job_body = edited_example(
      "workflow_job", [](json::Document& d) { d["workflow_job"]["status"].SetBool(true); });
  expect_event_error([&] { normalize_text("workflow_job", job_body); }, "workflow_job.status");
}

TEST(Normalize, BadTimestampThrowsNamingIt) {
  const auto run_body = edited_example("workflow_run", [](json::Document& d) {
    d["workflow_run"]["created_at"].SetString("yesterday at noon");
  });
  expect_event_error([&] { normalize_text("workflow_run", run_body); }, "workflow_run.created_at");
  const auto job_body = edited_example("workflow_job", [](json::Document& d) {
    d["workflow_job"]["started_at"].SetString("2021-13-01T00:00:00Z");
  });
  expect_event_error([&] { normalize_text("workflow_job", job_body); }, "workflow_job.started_at");
}

TEST(Normalize, MissingActionThrowsNamingIt) {
  const auto body =
      edited_example("workflow_run", [](json::Document& d) { d.RemoveMember("action"); });
  expect_event_error([&] { normalize_text("workflow_run", body); }, "action");
}

TEST(Normalize, NonObjectPayloadThrows) {
  const auto document = json::parse("[1,2,3]");
  EXPECT_THROW(ingest::normalize(delivery_for("workflow_run"), document), events::EventError);
}

TEST(Normalize, OtherEventsAreNotNormalized) {
  const auto body = edited_example("workflow_run", [](json::Document&) {});
  expect_event_error([&] { normalize_text("push", body); }, "push");
}

TEST(Normalize, WithoutHookIdTheEventCarriesNull) {
  const auto document = json::parse(edited_example("workflow_run", [](json::Document&) {}));
  const auto message =
      ingest::normalize(Delivery{"workflow_run", kDeliveryId, std::nullopt, kReceivedAt}, document);
  const auto value = json::parse(message.value);
  ASSERT_TRUE(value.HasMember("hook_id"));
  EXPECT_TRUE(value["hook_id"].IsNull());
  EXPECT_EQ(events::parse_workflow_run_event(message.value).envelope.hook_id, std::nullopt);
}

TEST(Normalize, InstallationIdIsCarried) {
  const auto body = edited_example("workflow_run", [](json::Document& d) {
    d.RemoveMember("installation");
    json::Value installation(rapidjson::kObjectType);
    installation.AddMember("id", 4242, d.GetAllocator());
    d.AddMember("installation", installation, d.GetAllocator());
  });
  const auto event = events::parse_workflow_run_event(normalize_text("workflow_run", body).value);
  EXPECT_EQ(event.envelope.installation_id, 4242);
}

}  // namespace
}  // namespace faultline
