#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <random>
#include <string>

#include "common/config.hpp"
#include "common/database.hpp"
#include "common/metrics.hpp"
#include "common/notify/channel_delivery.hpp"
#include "common/notify/messages.hpp"
#include "common/outbound_policy.hpp"
#include "common/secret_box.hpp"
#include "common/stop_signal.hpp"

namespace faultline::processors {

struct SenderSettings {
  OutboundPolicy policy;
  notify::Links links;  // github_web_url and dashboard_url; issue_url per delivery
  // Slack takes about one message a second per incoming webhook.
  std::chrono::milliseconds slack_spacing{1000};
  // How long a claimed delivery is not claimed again, so a sender that died
  // mid-send is taken over after it. A pass claims at most as many rows as
  // can be sent (one timeout each) in half of it, at most `batch`.
  std::chrono::milliseconds lease{std::chrono::minutes(10)};
  std::chrono::milliseconds timeout{std::chrono::seconds(10)};
  std::size_t batch = 20;

  // FAULTLINE_NOTIFY_ALLOW_HTTP, FAULTLINE_NOTIFY_ALLOW_PRIVATE,
  // FAULTLINE_GITHUB_WEB_URL, FAULTLINE_DASHBOARD_URL, FAULTLINE_NOTIFY_SLACK_SPACING,
  // FAULTLINE_NOTIFY_TIMEOUT, FAULTLINE_NOTIFY_LEASE.
  static SenderSettings from(const Environment& env);
};

// Role `notifier`, the sending half: delivers the due rows of
// notification_deliveries, oldest first and one change of an incident after
// the other per channel, and records every attempt. A delivery is claimed by
// moving its next attempt a lease ahead (committed before the send), so no
// database connection waits on a receiver and two senders never send the same
// row at once; a sender killed between the send and recording it leaves the
// row to be sent again once the lease ends: at least once, with the same
// webhook-id, at most one duplicate per crash.
class NotificationSender {
 public:
  NotificationSender(Database& database, const SecretBox& secrets, SenderSettings settings,
                     metrics::Registry& registry);

  // One pass over what is due; returns how many deliveries it attempted.
  std::size_t send_due();

  // Passes until `stop`, idling `idle` when nothing was due.
  void run(const StopSignal& stop, std::chrono::milliseconds idle);

  // faultline_notify_queue_* and faultline_notify_channels_disabled.
  void measure();

 private:
  struct Claimed;
  // What the channel is sent; throws json::ParseError for a stored event it cannot read.
  std::string message_for(const Claimed& delivery, const std::vector<const Claimed*>& held_with_it,
                          const std::string& secret) const;
  notify::Delivery send(const Claimed& delivery, const std::vector<const Claimed*>& held_with_it);
  void record(const Claimed& delivery, const notify::Delivery& sent);

  Database& database_;
  const SecretBox& secrets_;
  SenderSettings settings_;
  metrics::Registry& registry_;
  std::mt19937_64 random_;
  // When each Slack channel may be sent to next (by this process).
  std::map<long long, std::chrono::steady_clock::time_point> slack_ready_;
  metrics::Gauge& queue_depth_;
  metrics::Gauge& queue_oldest_;
  metrics::Gauge& disabled_channels_;
};

}  // namespace faultline::processors
