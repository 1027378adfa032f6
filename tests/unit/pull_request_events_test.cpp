#include "common/pull_request_events.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/json.hpp"
#include "common/topics.hpp"
#include "ingest/normalize.hpp"
#include "tests/support/examples.hpp"

namespace faultline {
namespace {

constexpr const char* kReceivedAt = "2026-12-02T10:00:00.000Z";

const std::vector<testing::ExamplePayload>& examples() {
  static const auto all = testing::webhook_examples({"pull_request"});
  return all;
}

kafka::OutgoingMessage normalized(const std::string& body) {
  const auto payload = json::parse(body);
  return ingest::normalize(ingest::Delivery{"pull_request", "pr-delivery", 7, kReceivedAt},
                           payload);
}

std::string header(const kafka::OutgoingMessage& message, const std::string& name) {
  for (const auto& h : message.headers)
    if (h.name == name)
      return h.value;
  return "";
}

// The first example with `action`, changed by `edit`.
std::string example(const std::string& action, void (*edit)(json::Document&) = nullptr) {
  for (const auto& e : examples()) {
    auto document = json::parse(e.body);
    if (json::string_member(document, "action") != action)
      continue;
    if (edit)
      edit(document);
    return json::serialize(document);
  }
  throw std::runtime_error("no pull_request example with action " + action);
}

TEST(PullRequestEvents, EveryExampleIsPublishedKeyedByRepositoryAndNumber) {
  ASSERT_GT(examples().size(), 10u);
  for (const auto& e : examples()) {
    const auto payload = json::parse(e.body);
    const auto& pr = payload["pull_request"];
    const std::string action = payload["action"].GetString();
    SCOPED_TRACE(action);
    const auto message = normalized(e.body);
    EXPECT_EQ(message.topic, std::string(topics::kPullRequest));
    EXPECT_EQ(message.key, std::to_string(payload["repository"]["id"].GetInt64()) + "/" +
                               std::to_string(pr["number"].GetInt64()));
    EXPECT_EQ(header(message, "ce_type"), "com.github.pull_request." + action);
    EXPECT_EQ(header(message, "ce_id"), "pr-delivery");

    const auto event = events::parse_pull_request_event(message.value);
    EXPECT_EQ(event.envelope.action, action);
    EXPECT_EQ(event.envelope.hook_id, 7);
    EXPECT_EQ(event.pull_request.id, pr["id"].GetInt64());
    EXPECT_EQ(event.pull_request.number, pr["number"].GetInt64());
    EXPECT_EQ(event.pull_request.state, pr["state"].GetString());
    EXPECT_EQ(event.pull_request.head_ref, std::string(pr["head"]["ref"].GetString()));
    EXPECT_EQ(event.pull_request.head_sha, std::string(pr["head"]["sha"].GetString()));
    EXPECT_EQ(event.pull_request.base_ref, std::string(pr["base"]["ref"].GetString()));
    EXPECT_EQ(event.pull_request.user_login, std::string(pr["user"]["login"].GetString()));
    EXPECT_EQ(event.pull_request.draft, pr["draft"].GetBool());
    EXPECT_EQ(event.pull_request.merged, pr.HasMember("merged") && pr["merged"].GetBool());
    // Our event reads back as it was written: one reader for GitHub's object and ours.
    EXPECT_EQ(events::to_json(event), message.value);
  }
}

TEST(PullRequestEvents, AMergedPullRequestSaysSo) {
  const auto body = example("closed", [](json::Document& d) {
    d["pull_request"]["merged"].SetBool(true);
    d["pull_request"]["merged_at"].SetString("2026-12-02T09:59:00Z");
  });
  const auto event = events::parse_pull_request_event(normalized(body).value);
  EXPECT_EQ(event.pull_request.state, "closed");
  EXPECT_TRUE(event.pull_request.merged);
  EXPECT_EQ(event.pull_request.merged_at, std::string("2026-12-02T09:59:00Z"));
}

TEST(PullRequestEvents, ClosedWithoutAMergeIsNotMerged) {
  const auto body = example("closed", [](json::Document& d) {
    d["pull_request"]["merged"].SetBool(false);
    d["pull_request"]["merged_at"].SetNull();
  });
  EXPECT_FALSE(events::parse_pull_request_event(normalized(body).value).pull_request.merged);
}

TEST(PullRequestEvents, AMissingOrWrongFieldIsNamed) {
  const auto expect_error = [](const std::string& body, const std::string& named) {
    try {
      normalized(body);
      ADD_FAILURE() << "accepted: " << named;
    } catch (const events::EventError& e) {
      EXPECT_NE(std::string(e.what()).find(named), std::string::npos) << e.what();
    }
  };
  expect_error(
      example("opened", [](json::Document& d) { d["pull_request"].RemoveMember("number"); }),
      "pull_request.number: missing");
  expect_error(
      example("opened", [](json::Document& d) { d["pull_request"]["draft"].SetString("no"); }),
      "pull_request.draft: not a boolean");
  expect_error(example("opened", [](json::Document& d) { d["pull_request"]["head"].SetInt(3); }),
               "pull_request.head: missing or not an object");
  expect_error(
      example("opened",
              [](json::Document& d) { d["pull_request"]["closed_at"].SetString("yesterday"); }),
      "pull_request.closed_at: not an RFC 3339 timestamp");
  expect_error(example("opened", [](json::Document& d) { d.RemoveMember("pull_request"); }),
               "pull_request: missing or not an object");
}

}  // namespace
}  // namespace faultline
