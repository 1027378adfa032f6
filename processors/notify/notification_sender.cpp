#include "processors/notify/notification_sender.hpp"

#include <algorithm>
#include <ctime>
#include <optional>
#include <vector>

#include "common/json.hpp"
#include "common/log.hpp"
#include "common/notify/channel_delivery.hpp"
#include "common/time.hpp"

namespace faultline::processors {
namespace {

using namespace notify;

using Clock = std::chrono::steady_clock;

// An `opened` change waiting for its failure context goes as soon as the
// issues role has read the log (or made the issue without it), or when its
// wait is over; one its rules wanted only for some categories goes only if
// the incident turned out to be one of them, and is dropped otherwise.
constexpr const char* kContextArrived = R"SQL(
WITH ready AS (
  SELECT d.id, d.wanted_categories IS NULL OR EXISTS (
           SELECT 1 FROM incidents i
            WHERE i.id = d.incident_id AND i.category = ANY (d.wanted_categories)) AS wanted
    FROM notification_deliveries d
   WHERE d.awaiting_context AND d.status = 'pending'
     AND (d.next_attempt_at <= now()
          OR EXISTS (SELECT 1 FROM incident_failure_contexts x WHERE x.incident_id = d.incident_id)
          OR EXISTS (SELECT 1 FROM incident_issues x WHERE x.incident_id = d.incident_id))),
dropped AS (
  DELETE FROM notification_deliveries d USING ready WHERE d.id = ready.id AND NOT ready.wanted)
UPDATE notification_deliveries d SET awaiting_context = false, next_attempt_at = now()
  FROM ready WHERE d.id = ready.id AND ready.wanted
)SQL";

// Due rows, claimed by moving their next attempt a lease ahead. Per channel
// and incident only the oldest undelivered change is due, so "recovered"
// never overtakes "failing"; changes quiet hours held do not wait for each
// other, so they leave together as one summary.
constexpr const char* kClaim = R"SQL(
WITH due AS (
  SELECT d.id FROM notification_deliveries d
    JOIN notification_channels c ON c.id = d.channel_id AND c.enabled
   WHERE d.status IN ('pending', 'held') AND d.next_attempt_at <= now() AND NOT d.awaiting_context
     AND NOT EXISTS (SELECT 1 FROM notification_deliveries e
                      WHERE e.channel_id = d.channel_id AND e.incident_id = d.incident_id
                        AND e.id < d.id AND e.status IN ('pending', 'held')
                        AND NOT (e.status = 'held' AND d.status = 'held'))
   ORDER BY d.next_attempt_at, d.id
   LIMIT :limit
   FOR UPDATE OF d SKIP LOCKED)
UPDATE notification_deliveries d
   SET next_attempt_at = now() + make_interval(secs => :lease)
  FROM due, notification_channels c
 WHERE d.id = due.id AND c.id = d.channel_id
RETURNING d.id, d.channel_id, c.kind, c.name, COALESCE(c.url, ''), c.secret_ciphertext,
          d.status, d.change_id, d.event, d.attempts, d.failures, d.incident_id,
          )SQL" FAULTLINE_SQL_RFC3339("d.created_at") R"SQL(,
          COALESCE((SELECT i.html_url FROM incident_issues i WHERE i.incident_id = d.incident_id), ''),
          COALESCE((SELECT json_build_object('job', f.job, 'step', f.step, 'first_line', f.first_line)::text
                      FROM job_failures f WHERE f.incident_id = d.incident_id
                     ORDER BY f.failed_at DESC LIMIT 1), '')
)SQL";

// Not sent now (Slack's pace): due again at `after`, no attempt made.
constexpr const char* kPostpone =
    "UPDATE notification_deliveries SET next_attempt_at = now() + make_interval(secs => :after)"
    " WHERE id = :id";

constexpr const char* kAttempt =
    "INSERT INTO notification_attempts (delivery_id, attempt, outcome, http_status,"
    " latency_seconds, error) VALUES (:id, :attempt, :outcome, :status, :seconds, :error)";

// status: sent, failed, or as it was (pending/held become pending: a held
// change that failed is retried on its own).
constexpr const char* kSettle = R"SQL(
UPDATE notification_deliveries
   SET status = :status, attempts = attempts + 1, failures = failures + :failed,
       next_attempt_at = now() + make_interval(secs => :after::float8),
       sent_at = CASE WHEN :sent::int = 1 THEN now() END,
       last_status = :http_status, last_error = :error, latency_seconds = :seconds
 WHERE id = :id
)SQL";

// A rate limit is the channel's, not the message's: nothing of the channel
// goes before it ends.
constexpr const char* kChannelWaits =
    "UPDATE notification_deliveries SET next_attempt_at = GREATEST(next_attempt_at,"
    " now() + make_interval(secs => :after)) WHERE channel_id = :channel AND status = 'pending'";

constexpr const char* kDisable =
    "UPDATE notification_channels SET enabled = false, disabled_at = now(),"
    " disabled_reason = :reason, updated_at = now() WHERE id = :id AND enabled";

constexpr const char* kQueue =
    "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(d.created_at)), 0)::float8"
    " FROM notification_deliveries d JOIN notification_channels c ON c.id = d.channel_id"
    " WHERE d.status = 'pending' AND c.enabled";
constexpr const char* kDisabled = "SELECT count(*) FROM notification_channels WHERE NOT enabled";

double seconds_of(std::chrono::milliseconds duration) {
  return static_cast<double>(duration.count()) / 1000.0;
}

}  // namespace

struct NotificationSender::Claimed {
  long long id = 0, channel_id = 0;
  ChannelKind kind = ChannelKind::kWebhook;
  std::string channel_name, url, sealed_secret, status, change_id, event;
  int attempts = 0, failures = 0;
  long long incident_id = 0;
  std::string created_at, issue_url, failure_json;
};

SenderSettings SenderSettings::from(const Environment& env) {
  SenderSettings s;
  s.policy = OutboundPolicy::from(env);
  s.links.github_web_url = env.text("FAULTLINE_GITHUB_WEB_URL", s.links.github_web_url);
  s.links.dashboard_url = env.text("FAULTLINE_DASHBOARD_URL", "");
  for (auto* url : {&s.links.github_web_url, &s.links.dashboard_url})
    while (!url->empty() && url->back() == '/')
      url->pop_back();
  s.slack_spacing = env.duration("FAULTLINE_NOTIFY_SLACK_SPACING", s.slack_spacing);
  s.timeout = env.duration("FAULTLINE_NOTIFY_TIMEOUT", s.timeout);
  s.lease = env.duration("FAULTLINE_NOTIFY_LEASE", s.lease);
  if (s.timeout.count() <= 0 || s.timeout >= s.lease)
    throw ConfigError(
        "FAULTLINE_NOTIFY_TIMEOUT and FAULTLINE_NOTIFY_LEASE: expected a timeout above 0 and "
        "shorter than the lease");
  return s;
}

NotificationSender::NotificationSender(Database& database, const SecretBox& secrets,
                                       SenderSettings settings, metrics::Registry& registry)
    : database_(database),
      secrets_(secrets),
      settings_(std::move(settings)),
      registry_(registry),
      random_(std::random_device{}()),
      queue_depth_(registry.gauge("faultline_notify_queue_depth",
                                  "Notifications waiting to be sent to enabled channels")),
      queue_oldest_(registry.gauge(
          "faultline_notify_queue_oldest_seconds",
          "Age of the oldest notification waiting to be sent to an enabled channel (0: none)")),
      disabled_channels_(registry.gauge(
          "faultline_notify_channels_disabled",
          "Notification channels disabled because their receiver is gone or not allowed")) {}

std::size_t NotificationSender::send_due() {
  std::vector<Claimed> claimed = database_.with_session([&](soci::session& sql) {
    std::vector<Claimed> rows;
    soci::transaction tx(sql);
    // Claimed rows are sent one after another: claim no more than can be sent
    // within half the lease, so none is taken over while it waits its turn.
    const auto fits = static_cast<std::size_t>(settings_.lease / (2 * settings_.timeout));
    const long long limit =
        static_cast<long long>(std::clamp<std::size_t>(fits, 1, settings_.batch));
    const double lease = seconds_of(settings_.lease);
    sql << kContextArrived;
    soci::rowset<soci::row> result =
        (sql.prepare << kClaim, soci::use(limit, "limit"), soci::use(lease, "lease"));
    for (const auto& r : result) {
      Claimed c;
      c.id = r.get<long long>(0);
      c.channel_id = r.get<long long>(1);
      c.kind = channel_kind(r.get<std::string>(2)).value_or(ChannelKind::kWebhook);
      c.channel_name = r.get<std::string>(3);
      c.url = r.get<std::string>(4);
      c.sealed_secret = r.get<std::string>(5);
      c.status = r.get<std::string>(6);
      c.change_id = r.get<std::string>(7);
      c.event = r.get<std::string>(8);
      c.attempts = r.get<int>(9);
      c.failures = r.get<int>(10);
      c.incident_id = r.get<long long>(11);
      c.created_at = r.get<std::string>(12);
      c.issue_url = r.get<std::string>(13);
      c.failure_json = r.get<std::string>(14);
      rows.push_back(std::move(c));
    }
    tx.commit();
    // RETURNING gives no order: oldest first again.
    std::sort(rows.begin(), rows.end(),
              [](const Claimed& a, const Claimed& b) { return a.id < b.id; });
    return rows;
  });

  std::size_t attempted = 0;
  std::vector<bool> done(claimed.size(), false);
  for (std::size_t i = 0; i < claimed.size(); ++i) {
    if (done[i])
      continue;
    const Claimed& delivery = claimed[i];
    // Held Slack changes of one channel leave as one summary.
    std::vector<const Claimed*> together;
    if (delivery.kind == ChannelKind::kSlack && delivery.status == "held")
      for (std::size_t j = i + 1; j < claimed.size(); ++j)
        if (!done[j] && claimed[j].channel_id == delivery.channel_id &&
            claimed[j].status == "held") {
          together.push_back(&claimed[j]);
          done[j] = true;
        }

    if (delivery.kind == ChannelKind::kSlack) {
      const auto ready = slack_ready_[delivery.channel_id];
      if (Clock::now() < ready) {
        const double after = std::chrono::duration<double>(ready - Clock::now()).count();
        database_.with_session([&](soci::session& sql) {
          std::vector<long long> ids{delivery.id};
          for (const auto* other : together)
            ids.push_back(other->id);
          for (const long long id : ids)
            sql << kPostpone, soci::use(after, "after"), soci::use(id, "id");
        });
        continue;
      }
      slack_ready_[delivery.channel_id] = Clock::now() + settings_.slack_spacing;
    }
    const auto sent = send(delivery, together);
    record(delivery, sent);
    for (const auto* other : together)
      record(*other, sent);
    attempted += 1 + together.size();
  }
  return attempted;
}

std::string NotificationSender::message_for(const Claimed& delivery,
                                            const std::vector<const Claimed*>& held_with_it,
                                            const std::string& secret) const {
  std::optional<FailureDetails> failure;
  if (!delivery.failure_json.empty()) {
    const auto details = json::parse(delivery.failure_json);
    failure = FailureDetails{std::string(json::string_member(details, "job").value_or("")),
                             std::string(json::string_member(details, "step").value_or("")),
                             std::string(json::string_member(details, "first_line").value_or(""))};
  }
  Links links = settings_.links;
  links.issue_url = delivery.issue_url;

  const auto change = IncidentChange::parse(delivery.event);
  std::string body;
  switch (delivery.kind) {
    case ChannelKind::kSlack:
      if (held_with_it.empty() && delivery.status != "held") {
        body = slack_message(change, failure, links);
      } else {
        std::vector<IncidentChange> changes{change};
        for (const auto* other : held_with_it)
          changes.push_back(IncidentChange::parse(other->event));
        body = slack_summary(changes, links);
      }
      break;
    case ChannelKind::kWebhook:
      body = webhook_body(change, delivery.created_at);
      break;
    case ChannelKind::kPagerDuty:
      body = pagerduty_event(change, secret, failure, links);
      break;
  }
  return body;
}

Delivery NotificationSender::send(const Claimed& delivery,
                                  const std::vector<const Claimed*>& held_with_it) {
  Delivery sent;
  const auto secret = secrets_.open(delivery.sealed_secret);
  if (!secret) {
    sent.judgement = {Verdict::kRetry, std::nullopt};
    sent.error = "the channel's secret cannot be opened (sealed under key " +
                 SecretBox::key_id_of(delivery.sealed_secret) + ")";
    return sent;
  }
  std::string body;
  try {
    body = message_for(delivery, held_with_it, *secret);
  } catch (const json::ParseError& e) {
    // Parsed when it was queued, so never expected: given up, not retried forever.
    sent.judgement = {Verdict::kRefused, std::nullopt};
    sent.error = std::string("the stored incident event cannot be read: ") + e.what();
    return sent;
  }
  // Stable across retries and duplicates: what a receiver de-duplicates on.
  const std::string webhook_id =
      "msg_" + delivery.change_id + "_" + std::to_string(delivery.channel_id);
  sent = deliver(Channel{delivery.kind, delivery.url, *secret}, body, webhook_id, settings_.policy,
                 settings_.timeout);
  registry_
      .histogram("faultline_notify_send_seconds", "Time one notification took to send",
                 metrics::latency_buckets(), {{"kind", to_string(delivery.kind)}})
      .observe(sent.seconds);
  return sent;
}

void NotificationSender::record(const Claimed& delivery, const Delivery& sent) {
  const Verdict verdict = sent.judgement.verdict;
  std::string status = "pending";
  int failed = 0;
  double after = 0;
  switch (verdict) {
    case Verdict::kSent:
      status = "sent";
      break;
    case Verdict::kRefused:
      status = "failed";
      failed = 1;
      break;
    case Verdict::kRateLimited:
      after = seconds_of(rate_limit_delay(sent.judgement));
      break;
    case Verdict::kGone:
    case Verdict::kBlocked:
      // Kept pending: a channel enabled again delivers what it missed.
      after = 0;
      break;
    case Verdict::kRetry:
    case Verdict::kUnreachable: {
      failed = 1;
      const auto delay = retry_delay(delivery.failures + 1, random_);
      if (!delay) {
        status = "failed";
        break;
      }
      after = seconds_of(*delay);
      // A Retry-After with a 5xx is honoured up to the schedule's cap of a day.
      if (sent.judgement.retry_after)
        after = std::max(after, seconds_of(std::min<std::chrono::milliseconds>(
                                    *sent.judgement.retry_after, kDay)));
      break;
    }
  }
  const int attempt = delivery.attempts + 1;
  const long long http_status = sent.status;
  soci::indicator status_ind = sent.status ? soci::i_ok : soci::i_null;
  soci::indicator error_ind = sent.error.empty() ? soci::i_null : soci::i_ok;
  const std::string outcome = to_string(verdict);
  const int sent_flag = verdict == Verdict::kSent ? 1 : 0;
  soci::indicator after_ind = status == "pending" ? soci::i_ok : soci::i_null;
  database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    sql << kAttempt, soci::use(delivery.id, "id"), soci::use(attempt, "attempt"),
        soci::use(outcome, "outcome"), soci::use(http_status, status_ind, "status"),
        soci::use(sent.seconds, "seconds"), soci::use(sent.error, error_ind, "error");
    sql << kSettle, soci::use(status, "status"), soci::use(failed, "failed"),
        soci::use(after, after_ind, "after"), soci::use(sent_flag, "sent"),
        soci::use(http_status, status_ind, "http_status"),
        soci::use(sent.error, error_ind, "error"), soci::use(sent.seconds, "seconds"),
        soci::use(delivery.id, "id");
    if (verdict == Verdict::kRateLimited)
      sql << kChannelWaits, soci::use(after, "after"), soci::use(delivery.channel_id, "channel");
    if (verdict == Verdict::kGone || verdict == Verdict::kBlocked) {
      const std::string reason =
          verdict == Verdict::kGone
              ? "the receiver answered " + std::to_string(sent.status) + ": it is gone"
              : "not allowed: " + sent.error;
      sql << kDisable, soci::use(reason, "reason"), soci::use(delivery.channel_id, "id");
      log::warn("notification channel disabled",
                {{"channel_id", static_cast<std::int64_t>(delivery.channel_id)},
                 {"kind", to_string(delivery.kind)},
                 {"reason", reason}});
    }
    tx.commit();
  });
  registry_
      .counter("faultline_notify_sends_total",
               "Notification send attempts by channel kind and outcome",
               {{"kind", to_string(delivery.kind)}, {"outcome", outcome}})
      .increment();
  // A message given up is an alarm nobody got (FaultlineNotificationGivenUp).
  if (status == "failed")
    registry_
        .counter("faultline_notify_given_up_total",
                 "Notifications given up: refused for good, or out of retries",
                 {{"kind", to_string(delivery.kind)}})
        .increment();
  if (verdict == Verdict::kSent)
    log::info("notification sent",
              {{"delivery_id", static_cast<std::int64_t>(delivery.id)},
               {"channel_id", static_cast<std::int64_t>(delivery.channel_id)},
               {"incident_id", static_cast<std::int64_t>(delivery.incident_id)},
               {"attempt", attempt}});
  else
    log::warn("notification not sent",
              {{"delivery_id", static_cast<std::int64_t>(delivery.id)},
               {"channel_id", static_cast<std::int64_t>(delivery.channel_id)},
               {"outcome", outcome},
               {"attempt", attempt},
               {"status", status},
               {"error", sent.error}});
}

void NotificationSender::measure() {
  database_.with_session([&](soci::session& sql) {
    long long depth = 0, disabled = 0;
    double oldest = 0;
    sql << kQueue, soci::into(depth), soci::into(oldest);
    sql << kDisabled, soci::into(disabled);
    queue_depth_.set(static_cast<double>(depth));
    queue_oldest_.set(oldest);
    disabled_channels_.set(static_cast<double>(disabled));
  });
}

void NotificationSender::run(const StopSignal& stop, std::chrono::milliseconds idle) {
  auto measured = Clock::time_point{};
  while (!stop.stop_requested()) {
    std::size_t attempted = 0;
    try {
      attempted = send_due();
    } catch (const std::exception& e) {
      log::warn("notification pass failed; will retry", {{"error", e.what()}});
      stop.wait_for(std::chrono::seconds(1));
    }
    if (Clock::now() - measured >= std::chrono::seconds(5)) {
      measured = Clock::now();
      try {
        measure();
      } catch (const std::exception& e) {
        log::debug("cannot measure the notification queue", {{"error", e.what()}});
      }
    }
    if (attempted == 0)
      stop.wait_for(idle);
  }
}

}  // namespace faultline::processors
