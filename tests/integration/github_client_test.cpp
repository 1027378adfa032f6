// The GitHub client against the fake GitHub: headers, retries, rate limits,
// pacing and pagination, each attempt on record.

#include "common/github_client.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <vector>

#include "common/json.hpp"
#include "tests/support/fake_github.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

struct Recorded : github::CallRecorder {
  void record(const github::Call& call) override { calls.push_back(call); }
  std::vector<github::Call> calls;
};

class GitHubClientTest : public ::testing::Test {
 protected:
  github::ClientSettings settings() const {
    github::ClientSettings s;
    s.base_url = fake_.url();
    s.backoff_base = 50ms;
    s.mutation_spacing = 200ms;
    s.secondary_wait = 1s;
    s.max_wait = 10s;
    return s;
  }

  json::Document requests() const { return json::parse(fake_.requests()); }

  FakeGitHub fake_;
  Recorded recorded_;
};

TEST_F(GitHubClientTest, SendsGitHubsHeadersAndTheToken) {
  github::Client client(settings(), &recorded_);
  const auto response = client.request("secret-token", "GET", "/repos/o/r/issues");
  EXPECT_EQ(response.status, 200);
  const auto sent = requests();
  ASSERT_EQ(sent.Size(), 1u);
  EXPECT_EQ(json::string_member(sent[0], "token"), "secret-token");
  EXPECT_EQ(json::string_member(sent[0], "accept"), "application/vnd.github+json");
  EXPECT_EQ(json::string_member(sent[0], "api_version"), "2022-11-28");
  EXPECT_EQ(json::string_member(sent[0], "user_agent"), "faultline");
  ASSERT_EQ(recorded_.calls.size(), 1u);
  EXPECT_EQ(recorded_.calls[0].path, "/repos/o/r/issues");
  EXPECT_EQ(recorded_.calls[0].status, 200);
}

TEST_F(GitHubClientTest, RetriesServerErrorsAndRecordsEachAttempt) {
  fake_.fail_next("POST", "/repos/o/r/issues", R"([{"status":502},{"status":503}])");
  github::Client client(settings(), &recorded_);
  const auto response =
      client.request("tok-SECRET-123", "POST", "/repos/o/r/issues", R"({"title":"x"})");
  EXPECT_EQ(response.status, 201);
  ASSERT_EQ(recorded_.calls.size(), 3u);
  EXPECT_EQ(recorded_.calls[0].status, 502);
  EXPECT_EQ(recorded_.calls[0].attempt, 1);
  EXPECT_EQ(recorded_.calls[2].attempt, 3);
  for (const auto& call : recorded_.calls)
    for (const auto* field : {&call.method, &call.path, &call.response_body, &call.error})
      EXPECT_EQ(field->find("tok-SECRET"), std::string::npos) << *field;
}

TEST_F(GitHubClientTest, WaitsOutRateLimits) {
  const auto reset = std::to_string(std::time(nullptr) + 1);
  fake_.fail_next("GET", "/repos/o/r/issues",
                  R"([{"status":403,"headers":{"x-ratelimit-remaining":"0","x-ratelimit-reset":")" +
                      reset +
                      R"("}},{"status":429,"headers":{"retry-after":"1"}},
                       {"status":403,"body":{"message":"You have exceeded a secondary rate limit"}}])");
  github::Client client(settings(), &recorded_);
  const auto started = std::chrono::steady_clock::now();
  const auto response = client.request("t", "GET", "/repos/o/r/issues");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(recorded_.calls.size(), 4u);
  // Each wait is a lower bound GitHub asked for: at least 1 s + 1 s + 1 s in all.
  EXPECT_GE(std::chrono::steady_clock::now() - started, 2s);
}

TEST_F(GitHubClientTest, GivesUpWhenRetriesRunOut) {
  fake_.fail_next(
      "GET", "/repos/o/r/issues",
      R"([{"status":502},{"status":502},{"status":502},{"status":502},{"status":502}])");
  github::Client client(settings(), &recorded_);
  try {
    client.request("t", "GET", "/repos/o/r/issues");
    FAIL() << "expected GitHubError";
  } catch (const github::GitHubError& e) {
    EXPECT_EQ(e.status(), 502);
  }
  EXPECT_EQ(recorded_.calls.size(), 5u);
}

TEST_F(GitHubClientTest, ReturnsRefusalsAsTheyAre) {
  github::Client client(settings(), &recorded_);
  EXPECT_EQ(client.request("t", "GET", "/repos/o/r/nothing").status, 404);
  EXPECT_EQ(client.request("t", "PATCH", "/repos/o/r/issues/99", "{}").status, 404);
  EXPECT_EQ(recorded_.calls.size(), 2u);
}

TEST_F(GitHubClientTest, SpacesMutationsApart) {
  github::Client client(settings(), &recorded_);
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(client.request("t", "POST", "/repos/o/r/issues", R"({"title":"n"})").status, 201);
  // The client's own clock: three mutations cannot start less than two spacings apart.
  EXPECT_GE(std::chrono::steady_clock::now() - started, 2 * settings().mutation_spacing);
  // What GitHub sees: arrivals stamped by the fake, whose event loop may stamp
  // one late by tens of milliseconds on a busy machine (62 ms seen under the
  // sanitizers). Unpaced, three would arrive within a few milliseconds; paced,
  // the first and the last are two spacings apart, so one spacing leaves room
  // for a late stamp and still tells the two apart.
  const auto sent = requests();
  ASSERT_EQ(sent.Size(), 3u);
  const auto span =
      *json::integer_member(sent[2], "time_ms") - *json::integer_member(sent[0], "time_ms");
  EXPECT_GE(
      span,
      std::chrono::duration_cast<std::chrono::milliseconds>(settings().mutation_spacing).count());
}

TEST_F(GitHubClientTest, FollowsLinkPagination) {
  github::Client client(settings(), &recorded_);
  for (int i = 0; i < 5; ++i)
    client.request("t", "POST", "/repos/o/r/issues", R"({"title":"n","labels":["faultline"]})");
  const auto pages =
      client.get_pages("t", "/repos/o/r/issues?labels=faultline&state=all&per_page=2");
  ASSERT_EQ(pages.size(), 3u);
  std::size_t issues = 0;
  for (const auto& page : pages)
    issues += json::parse(page).Size();
  EXPECT_EQ(issues, 5u);
}

TEST(NextLinkTest, ReadsGitHubsLinkHeader) {
  EXPECT_EQ(
      github::next_link(
          R"(<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last")"),
      "https://api.github.com/x?page=2");
  EXPECT_EQ(github::next_link(R"(<https://api.github.com/x?page=1>; rel="prev")"), "");
  EXPECT_EQ(github::next_link(""), "");
}

}  // namespace
}  // namespace faultline::testing
