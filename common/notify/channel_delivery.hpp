#pragma once

// One message to one channel: where it goes (Slack's secret URL, the
// webhook's or PagerDuty's URL), how it is signed (Standard Webhooks, every
// secret of the channel), only where the outbound policy allows, and what the
// answer means. The notifier's sender and the API's test message both send
// through it.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/notify/delivery_policy.hpp"
#include "common/notify/messages.hpp"
#include "common/outbound_policy.hpp"

namespace faultline::notify {

struct Channel {
  ChannelKind kind = ChannelKind::kWebhook;
  std::string url;     // webhook and PagerDuty; Slack's is its secret
  std::string secret;  // opened: Slack's URL, whsec_ secrets (comma-separated), routing key
};

struct Delivery {
  Judgement judgement;
  long status = 0;    // 0: no HTTP answer
  std::string error;  // why it was not sent, never the URL or a secret
  double seconds = 0;
};

// The keys of a comma-separated list of whsec_ secrets (malformed ones left out).
std::vector<std::string> webhook_keys(std::string_view secrets);

// Sends `body`; a webhook carries `webhook_id`, the current time and its signatures.
Delivery deliver(const Channel& channel, const std::string& body, const std::string& webhook_id,
                 const OutboundPolicy& policy, std::chrono::milliseconds timeout);

}  // namespace faultline::notify
