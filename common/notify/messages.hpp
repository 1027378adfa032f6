#pragma once

// What each kind of channel is sent about an incident change: pure functions
// of the ci.incident.v1 event (schemas/events/incident.v1.json) and what the
// database adds about the failure, tested without a socket.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::notify {

enum class ChannelKind { kSlack, kWebhook, kPagerDuty };

std::optional<ChannelKind> channel_kind(std::string_view name);
const char* to_string(ChannelKind kind);

// The changes people are told about (issue_linked and types added later are not).
bool notifiable(std::string_view type);

// An incident change as the event describes it. Throws json::ParseError when
// the event is not an incident event.
struct IncidentChange {
  std::string type;  // opened, recurred, acknowledged, resolved
  std::int64_t incident_id = 0;
  std::string repository;  // owner/name
  std::string workflow;    // its name, else its key
  std::string branch;
  std::string state;
  std::string resolution;  // run_succeeded, flaky, manual once resolved
  std::int64_t occurrences = 0;
  std::int64_t run_id = 0;  // the run that caused it, 0 for a person
  std::string run_url;      // its page at its provider, when the event names it
  std::optional<std::string> signature, category;
  std::string event;  // the event's JSON as read, for the webhook's data

  static IncidentChange parse(std::string_view event_json);
};

// What the database knows beyond the event, when it knows it.
struct FailureDetails {
  std::string job, step, first_line;
};

struct Links {
  std::string github_web_url = "https://github.com";
  std::string dashboard_url;  // empty: no link to the incident
  std::string issue_url;      // empty: no issue (yet)
};

// Slack incoming webhook: {text, blocks}. `text` is the notification's line
// (and what clients without blocks show).
std::string slack_message(const IncidentChange& change,
                          const std::optional<FailureDetails>& failure, const Links& links);
// One message for the changes quiet hours held, oldest first.
std::string slack_summary(const std::vector<IncidentChange>& changes, const Links& links);

// Standard Webhooks body: {type: "incident.<change>", timestamp, data: <event>}.
std::string webhook_body(const IncidentChange& change, std::string_view timestamp);

// PagerDuty Events API v2: trigger (opened, recurred), acknowledge, resolve,
// with the incident id as dedup_key so all of them are one PagerDuty incident.
std::string pagerduty_event(const IncidentChange& change, std::string_view routing_key,
                            const std::optional<FailureDetails>& failure, const Links& links);

// A message that says only that the channel works (POST .../test).
std::string slack_test_message(std::string_view channel_name);
std::string webhook_test_body(std::string_view timestamp);
// A resolve of a dedup key no incident has: PagerDuty checks the routing key
// and answers, and nobody is paged.
std::string pagerduty_test_event(std::string_view routing_key, std::int64_t channel_id);

}  // namespace faultline::notify
