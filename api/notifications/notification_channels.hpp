#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_request.hpp"
#include "api/audit/audit_log.hpp"
#include "api/content/listing.hpp"
#include "api/pagination.hpp"
#include "common/database.hpp"
#include "common/json.hpp"
#include "common/outbound_policy.hpp"
#include "common/secret_box.hpp"
#include "common/soci.hpp"

namespace faultline::api {

// Notification channels (README, Notifications), for administrators. What is
// secret about a channel — Slack's webhook URL, a webhook's whsec_ secrets,
// PagerDuty's routing key — is sealed like GitHub tokens and never returned
// or written to the audit log: a channel shows only the key it was sealed
// under. Every change is an audit row in the change's transaction.
class NotificationChannels {
 public:
  NotificationChannels(const SecretBox& secrets, OutboundPolicy policy,
                       const audit::AuditLog& audit)
      : secrets_(secrets), policy_(policy), audit_(audit) {}

  std::string list(soci::session& sql, const Page& page) const;
  std::optional<std::string> get(soci::session& sql, std::int64_t id) const;
  // {kind, name} and, by kind: slack {webhook_url}; webhook {url, secrets: [whsec_…, …]};
  // pagerduty {routing_key, url?}.
  Created create(soci::session& sql, const json::Value& body, const audit::Context& who) const;
  // Any of name, the kind's own members, and enabled (true enables a channel
  // the notifier disabled). If-Match is honoured.
  std::optional<std::string> update(soci::session& sql, const ApiRequest& request, std::int64_t id,
                                    const json::Value& body, const audit::Context& who) const;
  // Its rules and deliveries go with it. False if unknown.
  bool remove(soci::session& sql, std::int64_t id, const audit::Context& who) const;
  // Sends a test message now, with no database connection held meanwhile:
  // {sent, status, outcome, error}. Nothing if unknown.
  std::optional<std::string> test(Database& database, std::int64_t id,
                                  const audit::Context& who) const;

 private:
  const SecretBox& secrets_;
  OutboundPolicy policy_;
  const audit::AuditLog& audit_;
};

}  // namespace faultline::api
