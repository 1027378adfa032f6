#include "api/content/status_page.hpp"

#include "api/content/listing.hpp"
#include "api/json_body.hpp"
#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

// In order of severity: the overall status is the worst of the services'.
constexpr const char* kStatuses[] = {"operational",    "maintenance",  "degraded",
                                     "partial_outage", "major_outage", nullptr};
constexpr std::size_t kServiceChars = 100;
constexpr std::size_t kMessageChars = 2'000;

constexpr const char* kDocument =
    "json_build_object('id', e.id, 'service', e.service, 'status', e.status,"
    " 'message', e.message, 'created_by', e.created_by,"
    " 'created_at', " FAULTLINE_SQL_RFC3339("e.created_at") ")::text";

constexpr const char* kCurrentStatus = R"sql(
WITH severity (status, rank) AS (
  VALUES ('operational', 0), ('maintenance', 1), ('degraded', 2), ('partial_outage', 3),
         ('major_outage', 4)),
latest AS (
  SELECT DISTINCT ON (service) service AS name, status, message, created_at AS since,
         'status_event' AS source
  FROM status_events ORDER BY service, created_at DESC, id DESC),
ci AS (
  SELECT r.full_name AS name, 'degraded' AS status,
         count(*) || CASE WHEN count(*) = 1 THEN ' open incident' ELSE ' open incidents' END
           AS message,
         min(i.opened_at) AS since, 'incidents' AS source
  FROM incidents i JOIN repositories r ON r.id = i.repository_id
  WHERE i.state IN ('open', 'acknowledged') GROUP BY r.full_name),
services AS (SELECT * FROM latest UNION ALL SELECT * FROM ci)
SELECT json_build_object(
  'status', COALESCE((SELECT s.status FROM services x JOIN severity s ON s.status = x.status
                      ORDER BY s.rank DESC LIMIT 1), 'operational'),
  'services', COALESCE((SELECT json_agg(json_build_object('name', x.name, 'status', x.status,
      'message', x.message, 'since', )sql" FAULTLINE_SQL_RFC3339("x.since") R"sql(,
      'source', x.source) ORDER BY x.source DESC, x.name) FROM services x), '[]'))::text
)sql";

}  // namespace

StatusEventFilter parse_status_event_filter(const ApiRequest& request) {
  StatusEventFilter filter;
  filter.service = request.query_value("service").value_or("");
  if (filter.service.size() > 400)
    throw ClientError(bad_request("service is too long.", "invalid-parameter"));
  filter.status = choice_parameter(request, "status", kStatuses);
  filter.since = timestamp_parameter(request, "since");
  return filter;
}

Created create_status_event(soci::session& sql, const auth::Principal& caller,
                            const json::Value& body) {
  const auto service = required_text(body, "service", 1, kServiceChars);
  const auto status = choice_member(body, "status", kStatuses);
  if (!status)
    throw ClientError(unprocessable("status is required."));
  const auto message = text_member(body, "message", 0, kMessageChars).value_or("");
  const long long author = caller.user_id;
  Created created;
  long long id = 0;
  sql << std::string(
             "INSERT INTO status_events AS e (service, status, message, created_by)"
             " VALUES (:service, :status, :message, :author) RETURNING e.id, ") +
             kDocument,
      soci::use(service, "service"), soci::use(*status, "status"), soci::use(message, "message"),
      soci::use(author, "author"), soci::into(id), soci::into(created.document);
  created.id = id;
  return created;
}

std::string list_status_events(soci::session& sql, const StatusEventFilter& filter,
                               const Page& page) {
  // Each parameter appears once (SOCI binds a repeated name only once).
  const std::string from_where =
      "FROM (SELECT :service::text AS service, :status::text AS status,"
      "   CAST(NULLIF(:since, '') AS timestamptz) AS since) f, status_events e"
      " WHERE (f.service = '' OR e.service = f.service)"
      " AND (f.status = '' OR e.status = f.status)"
      " AND (f.since IS NULL OR e.created_at >= f.since)";
  return newest_first(
      sql, kDocument, "e", from_where, page, [&](auto&& st) -> auto& {
        return st, soci::use(filter.service, "service"), soci::use(filter.status, "status"),
               soci::use(filter.since, "since");
      });
}

std::string current_status(soci::session& sql) {
  std::string document;
  sql << kCurrentStatus, soci::into(document);
  return document;
}

}  // namespace faultline::api
