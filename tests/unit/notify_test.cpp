#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <set>

#include "common/json.hpp"
#include "common/notify/delivery_policy.hpp"
#include "common/notify/messages.hpp"
#include "common/notify/standard_webhooks.hpp"
#include "common/outbound_policy.hpp"

using namespace faultline;
using namespace faultline::notify;

namespace {

std::string incident_event(const std::string& type, const std::string& extra = "") {
  return R"({"type":")" + type +
         R"(","run_id":30433642,"incident":{"id":12,"repository_id":7,"repository":"acme/api",)"
         R"("workflow_key":"55","workflow_name":"build","branch":"main","state":"open",)"
         R"("occurrences":3,"first_failed_run_id":1,"last_failed_run_id":30433642,)"
         R"("opened_at":"2026-12-02T10:00:00Z","acknowledged_at":null,"resolved_at":null,)"
         R"("resolution":)" +
         (type == "resolved" ? std::string(R"("run_succeeded")") : std::string("null")) +
         R"(,"resolved_by_run_id":null)" + extra + "}}";
}

http_exchange::Response answer(long status, std::map<std::string, std::string> headers = {}) {
  http_exchange::Response r;
  r.status = status;
  r.headers = std::move(headers);
  return r;
}

sockaddr v4(const char* text) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  ::inet_pton(AF_INET, text, &in.sin_addr);
  sockaddr out{};
  std::memcpy(&out, &in, sizeof out);
  return out;
}

bool v6_public(const char* text) {
  sockaddr_in6 in{};
  in.sin6_family = AF_INET6;
  ::inet_pton(AF_INET6, text, &in.sin6_addr);
  sockaddr_storage storage{};
  std::memcpy(&storage, &in, sizeof in);
  return is_public_address(*reinterpret_cast<const sockaddr*>(&storage));
}

}  // namespace

// The specification's own vector (standard-webhooks, libraries' "sign function works").
TEST(StandardWebhooks, SignsThePublishedTestVector) {
  const auto key = webhook_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  ASSERT_TRUE(key);
  EXPECT_EQ(webhook_signature({*key}, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330,
                              R"({"test": 2432232314})"),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
}

TEST(StandardWebhooks, SignsWithEverySecretWhileRotating) {
  const auto old_key = webhook_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  const auto new_key = webhook_key(new_webhook_secret());
  ASSERT_TRUE(old_key && new_key);
  const auto header = webhook_signature({*new_key, *old_key}, "msg_p5jXN8AQM9LWM0D4loKWxJek",
                                        1614265330, R"({"test": 2432232314})");
  const auto space = header.find(' ');
  ASSERT_NE(space, std::string::npos);
  EXPECT_EQ(header.substr(space + 1), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  EXPECT_EQ(header.substr(0, 3), "v1,");
}

TEST(StandardWebhooks, RefusesSecretsThatAreNotWhsec) {
  EXPECT_FALSE(webhook_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"));  // no prefix
  EXPECT_FALSE(webhook_key("whsec_not base64!"));
  EXPECT_FALSE(webhook_key("whsec_c2hvcnQ="));  // 5 bytes
  EXPECT_TRUE(webhook_key(new_webhook_secret()));
}

TEST(NotificationMessages, SlackCarriesWhatIsKnownAndLinks) {
  const auto change = IncidentChange::parse(
      incident_event("opened", R"(,"signature":"0123456789abcdef","category":"code/test")"));
  Links links;
  links.dashboard_url = "https://faultline.example";
  links.issue_url = "https://github.com/acme/api/issues/4";
  const auto body =
      slack_message(change, FailureDetails{"test", "Run tests", "Error: <boom> & more"}, links);
  const auto doc = json::parse(body);
  EXPECT_EQ(json::string_member(doc, "text").value_or(""), "CI failing: build on main in acme/api");
  ASSERT_TRUE(doc["blocks"].IsArray());
  for (const char* expected : {"acme/api", "`main`", "code/test", "0123456789abcdef", "Run tests",
                               "Error: &lt;boom&gt; &amp; more",
                               "<https://github.com/acme/api/actions/runs/30433642|Run 30433642>",
                               "<https://faultline.example/incidents/12|Incident 12>",
                               "<https://github.com/acme/api/issues/4|GitHub issue>"})
    EXPECT_NE(body.find(expected), std::string::npos) << expected << " in " << body;
}

TEST(NotificationMessages, ARunThatNamesItsPageIsLinkedThere) {
  // A GitLab pipeline's incident names its page; GitHub's is built only when none is named.
  auto event = incident_event("opened", R"(,"provider":"gitlab")");
  event.replace(event.find(R"("run_id")"), 0,
                R"("run_url":"https://gitlab.example/group/sub/app/-/pipelines/31",)");
  const auto change = IncidentChange::parse(event);
  const auto body = slack_message(change, std::nullopt, Links{});
  EXPECT_NE(body.find("<https://gitlab.example/group/sub/app/-/pipelines/31|Run 30433642>"),
            std::string::npos)
      << body;
  EXPECT_EQ(body.find("github.com"), std::string::npos) << body;
}

TEST(NotificationMessages, SlackSaysRecovered) {
  const auto change = IncidentChange::parse(incident_event("resolved"));
  const auto doc = json::parse(slack_message(change, std::nullopt, Links{}));
  EXPECT_EQ(json::string_member(doc, "text").value_or(""),
            "CI recovered: build on main in acme/api");
}

TEST(NotificationMessages, WebhookBodyWrapsTheEvent) {
  const auto change = IncidentChange::parse(incident_event("opened"));
  const auto doc = json::parse(webhook_body(change, "2026-12-02T10:00:00Z"));
  EXPECT_EQ(json::string_member(doc, "type").value_or(""), "incident.opened");
  EXPECT_EQ(json::string_member(doc, "timestamp").value_or(""), "2026-12-02T10:00:00Z");
  const auto* data = json::object_member(doc, "data");
  ASSERT_TRUE(data);
  EXPECT_EQ(json::string_member(*data, "type").value_or(""), "opened");
  EXPECT_EQ(json::integer_member(*json::object_member(*data, "incident"), "id").value_or(0), 12);
}

TEST(NotificationMessages, PagerDutyTriggersAndResolvesOneDedupKey) {
  const auto opened = json::parse(pagerduty_event(IncidentChange::parse(incident_event("opened")),
                                                  "R0UT1NG", std::nullopt, {}));
  const auto acknowledged = json::parse(pagerduty_event(
      IncidentChange::parse(incident_event("acknowledged")), "R0UT1NG", std::nullopt, {}));
  const auto resolved = json::parse(pagerduty_event(
      IncidentChange::parse(incident_event("resolved")), "R0UT1NG", std::nullopt, {}));
  EXPECT_EQ(json::string_member(opened, "event_action").value_or(""), "trigger");
  EXPECT_EQ(json::string_member(acknowledged, "event_action").value_or(""), "acknowledge");
  EXPECT_EQ(json::string_member(resolved, "event_action").value_or(""), "resolve");
  for (const auto* doc : {&opened, &acknowledged, &resolved}) {
    EXPECT_EQ(json::string_member(*doc, "dedup_key").value_or(""), "12");
    EXPECT_EQ(json::string_member(*doc, "routing_key").value_or(""), "R0UT1NG");
  }
  const auto* payload = json::object_member(opened, "payload");
  ASSERT_TRUE(payload);
  EXPECT_EQ(json::string_member(*payload, "severity").value_or(""), "error");
  EXPECT_EQ(json::string_member(*payload, "source").value_or(""), "acme/api");
  EXPECT_FALSE(json::object_member(resolved, "payload"));
}

TEST(NotificationMessages, NotAnIncidentEventIsAParseError) {
  EXPECT_THROW(IncidentChange::parse(R"({"type":"opened"})"), json::ParseError);
  EXPECT_THROW(IncidentChange::parse("not json"), json::ParseError);
  EXPECT_TRUE(notifiable("recurred"));
  EXPECT_FALSE(notifiable("issue_linked"));
}

TEST(DeliveryPolicy, JudgesAnswersByKind) {
  EXPECT_EQ(judge(ChannelKind::kSlack, answer(200)).verdict, Verdict::kSent);
  EXPECT_EQ(judge(ChannelKind::kWebhook, answer(204)).verdict, Verdict::kSent);
  for (const long gone : {403L, 404L, 410L})
    EXPECT_EQ(judge(ChannelKind::kSlack, answer(gone)).verdict, Verdict::kGone) << gone;
  EXPECT_EQ(judge(ChannelKind::kWebhook, answer(410)).verdict, Verdict::kGone);
  EXPECT_EQ(judge(ChannelKind::kWebhook, answer(404)).verdict, Verdict::kRetry);
  EXPECT_EQ(judge(ChannelKind::kPagerDuty, answer(400)).verdict, Verdict::kRefused);
  EXPECT_EQ(judge(ChannelKind::kWebhook, answer(503)).verdict, Verdict::kRetry);
  EXPECT_EQ(judge(ChannelKind::kWebhook, answer(0)).verdict, Verdict::kUnreachable);
  auto refused = answer(0);
  refused.address_refused = true;
  EXPECT_EQ(judge(ChannelKind::kWebhook, refused).verdict, Verdict::kBlocked);
  const auto limited = judge(ChannelKind::kSlack, answer(429, {{"retry-after", "30"}}));
  EXPECT_EQ(limited.verdict, Verdict::kRateLimited);
  EXPECT_EQ(rate_limit_delay(limited), std::chrono::seconds(30));
  EXPECT_EQ(rate_limit_delay(judge(ChannelKind::kSlack, answer(429, {{"retry-after", "x"}}))),
            std::chrono::seconds(1));
  EXPECT_EQ(rate_limit_delay(judge(ChannelKind::kSlack, answer(429, {{"retry-after", "999999"}}))),
            std::chrono::hours(24));
}

TEST(DeliveryPolicy, RetriesOnTheScheduleWithJitterCappedAtADay) {
  std::mt19937_64 random(7);
  using std::chrono::milliseconds;
  const std::vector<milliseconds> base{
      std::chrono::seconds(5), std::chrono::minutes(5), std::chrono::minutes(30),
      std::chrono::hours(2),   std::chrono::hours(4),   std::chrono::hours(8),
      std::chrono::hours(16),  std::chrono::hours(24),  std::chrono::hours(24)};
  std::set<long long> seen;
  for (std::size_t i = 0; i < base.size(); ++i) {
    const auto delay = retry_delay(static_cast<int>(i) + 1, random);
    ASSERT_TRUE(delay);
    EXPECT_GE(delay->count(), base[i].count() * 9 / 10) << i;
    EXPECT_LE(delay->count(), std::min(base[i].count() * 11 / 10, kDay.count())) << i;
    seen.insert(delay->count());
  }
  EXPECT_EQ(seen.size(), base.size());  // jittered, not all the same
  EXPECT_EQ(retry_delay(0, random), milliseconds(0));
  EXPECT_FALSE(retry_delay(kMaxFailures, random));
}

TEST(OutboundPolicy, RefusesPrivateAndLoopbackAddresses) {
  for (const char* inside : {"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1",
                             "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1"})
    EXPECT_FALSE(is_public_address(v4(inside))) << inside;
  EXPECT_TRUE(is_public_address(v4("93.184.216.34")));
  for (const char* inside :
       {"::1", "::", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1"})
    EXPECT_FALSE(v6_public(inside)) << inside;
  EXPECT_TRUE(v6_public("2606:4700::1111"));
  const OutboundPolicy allowing{true, true};
  EXPECT_TRUE(allowing.allows(v4("127.0.0.1")));
}

TEST(OutboundPolicy, ChecksUrls) {
  const OutboundPolicy strict;
  EXPECT_FALSE(strict.refuse_url("https://hooks.slack.com/services/T/B/x"));
  EXPECT_TRUE(strict.refuse_url("http://hooks.slack.com/services/T/B/x"));
  EXPECT_TRUE(strict.refuse_url("https://127.0.0.1/hook"));
  EXPECT_TRUE(strict.refuse_url("https://[::1]:8443/hook"));
  EXPECT_TRUE(strict.refuse_url("https://169.254.169.254/latest/meta-data"));
  EXPECT_TRUE(strict.refuse_url("https://localhost/hook"));
  EXPECT_TRUE(strict.refuse_url("https://user:pass@example.com/hook"));
  EXPECT_TRUE(strict.refuse_url("https://exa mple.com/"));
  EXPECT_TRUE(strict.refuse_url("ftp://example.com/"));
  EXPECT_TRUE(strict.refuse_url("https:///path"));
  EXPECT_TRUE(strict.refuse_url("https://example.com/" + std::string(2100, 'a')));
  const OutboundPolicy tests{true, true};
  EXPECT_FALSE(tests.refuse_url("http://127.0.0.1:4000/slack"));
  EXPECT_THROW(OutboundPolicy::from(Environment(std::map<std::string, std::string>{
                   {"FAULTLINE_ENV", "production"}, {"FAULTLINE_NOTIFY_ALLOW_HTTP", "1"}})),
               ConfigError);
}
