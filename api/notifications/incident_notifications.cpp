#include "api/notifications/incident_notifications.hpp"

#include "common/time.hpp"

namespace faultline::api {
namespace {

// webhook_id is what the sender puts on a webhook (stable across retries).
constexpr const char* kDocument =
    "json_build_object('id', d.id, 'channel', json_build_object('id', c.id, 'kind', c.kind,"
    " 'name', c.name), 'change', d.change, 'status', d.status, 'attempts', d.attempts,"
    " 'next_attempt_at', " FAULTLINE_SQL_RFC3339("d.next_attempt_at") ","
    " 'last_status', d.last_status, 'last_error', d.last_error,"
    " 'latency_seconds', d.latency_seconds,"
    " 'webhook_id', 'msg_' || d.change_id || '_' || d.channel_id,"
    " 'created_at', " FAULTLINE_SQL_RFC3339("d.created_at") ","
    " 'sent_at', " FAULTLINE_SQL_RFC3339("d.sent_at") ","
    " 'attempt_history', COALESCE((SELECT json_agg(json_build_object('attempt', a.attempt,"
    "   'at', " FAULTLINE_SQL_RFC3339("a.at") ", 'outcome', a.outcome, 'http_status',"
    "   a.http_status, 'latency_seconds', a.latency_seconds, 'error', a.error) ORDER BY a.id)"
    "   FROM notification_attempts a WHERE a.delivery_id = d.id), '[]'::json))";

}  // namespace

std::optional<std::string> incident_notifications(soci::session& sql, std::int64_t incident_id,
                                                  const Page& page) {
  const long long incident = incident_id;
  int known = 0;
  sql << "SELECT count(*) FROM incidents WHERE id = :id", soci::use(incident, "id"),
      soci::into(known);
  if (!known)
    return std::nullopt;
  long long total = 0;
  sql << "SELECT count(*) FROM notification_deliveries WHERE incident_id = :id",
      soci::use(incident, "id"), soci::into(total);
  const long long limit = page.size, offset = page.offset();
  std::string items;
  sql << std::string("SELECT COALESCE(json_agg(doc ORDER BY id), '[]')::text FROM (SELECT ") +
             kDocument +
             " AS doc, d.id FROM notification_deliveries d"
             " JOIN notification_channels c ON c.id = d.channel_id WHERE d.incident_id = :id"
             " ORDER BY d.id LIMIT :limit OFFSET :offset) AS page",
      soci::use(incident, "id"), soci::use(limit, "limit"), soci::use(offset, "offset"),
      soci::into(items);
  return page_document(items, total, page);
}

}  // namespace faultline::api
