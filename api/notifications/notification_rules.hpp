#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_request.hpp"
#include "api/audit/audit_log.hpp"
#include "api/content/listing.hpp"
#include "api/pagination.hpp"
#include "common/json.hpp"
#include "common/soci.hpp"

namespace faultline::api {

// Notification rules (README, Notifications): which incident changes a
// channel gets, for administrators; every change an audit row. The notifier
// reads them as they stand when a change arrives
// (schemas/db/functions/notification_rules.sql).
class NotificationRules {
 public:
  explicit NotificationRules(const audit::AuditLog& audit) : audit_(audit) {}

  // Filter `channel_id` (0: every channel).
  std::string list(soci::session& sql, std::int64_t channel_id, const Page& page) const;
  std::optional<std::string> get(soci::session& sql, std::int64_t id) const;
  // {channel_id, changes: [opened|recurred|acknowledged|resolved], repository?,
  //  branch_pattern?, category?, recurred_after?, quiet_hours?: {start, end, time_zone}}
  Created create(soci::session& sql, const json::Value& body, const audit::Context& who) const;
  // Any member but channel_id; null clears an optional one. If-Match is honoured.
  std::optional<std::string> update(soci::session& sql, const ApiRequest& request, std::int64_t id,
                                    const json::Value& body, const audit::Context& who) const;
  bool remove(soci::session& sql, std::int64_t id, const audit::Context& who) const;

 private:
  const audit::AuditLog& audit_;
};

}  // namespace faultline::api
