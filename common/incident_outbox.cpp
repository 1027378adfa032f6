#include "common/incident_outbox.hpp"

#include "common/topics.hpp"

namespace faultline {
namespace {

// The event's data, rendered by PostgreSQL from the committed row.
constexpr const char* kEnqueue = R"sql(
INSERT INTO outbox (topic, message_key, event_type, payload)
SELECT :topic::text, i.id::text, :type::text, json_build_object(
  'type', :type2::text,
  'run_id', NULLIF(:run_id::bigint, 0),
  'incident', json_build_object(
    'id', i.id, 'repository_id', i.repository_id, 'repository', r.full_name,
    'workflow_key', i.workflow_key, 'workflow_name', i.workflow_name, 'branch', i.branch,
    'state', i.state, 'occurrences', i.occurrences,
    'first_failed_run_id', i.first_failed_run_id, 'last_failed_run_id', i.last_failed_run_id,
    'opened_at', to_char(i.opened_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'acknowledged_at', to_char(i.acknowledged_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'resolved_at', to_char(i.resolved_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
    'resolution', i.resolution, 'resolved_by_run_id', i.resolved_by_run_id))::text
FROM incidents i JOIN repositories r ON r.id = i.repository_id
WHERE i.id = :id::bigint
)sql";

}  // namespace

const char* to_string(IncidentEvent event) {
  switch (event) {
    case IncidentEvent::kOpened:
      return "opened";
    case IncidentEvent::kRecurred:
      return "recurred";
    case IncidentEvent::kAcknowledged:
      return "acknowledged";
    case IncidentEvent::kResolved:
      return "resolved";
    case IncidentEvent::kIssueLinked:
      return "issue_linked";
  }
  return "unknown";
}

void enqueue_incident_event(soci::session& sql, std::int64_t incident_id, IncidentEvent event,
                            std::int64_t run_id) {
  const std::string topic = topics::kIncident;
  const std::string type = to_string(event);
  const long long id = incident_id, run = run_id;
  sql << kEnqueue, soci::use(topic, "topic"), soci::use(type, "type"), soci::use(type, "type2"),
      soci::use(run, "run_id"), soci::use(id, "id");
}

}  // namespace faultline
