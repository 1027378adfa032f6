#include "common/incident_outbox.hpp"

#include "common/trace_context.hpp"

namespace faultline {

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
  // The event's shape lives in one place: faultline_enqueue_incident_event
  // (schemas/db/functions/incident_rules.sql), which the incidents role uses too.
  const std::string type = to_string(event);
  const long long id = incident_id, run = run_id;
  const auto* trace = trace::current();
  const std::string traceparent = trace ? trace->traceparent() : "";
  const std::string tracestate = trace ? trace->tracestate : "";
  sql << "SELECT faultline_enqueue_incident_event(:id::bigint, :type::text, :run::bigint,"
         " :traceparent, :tracestate)",
      soci::use(id, "id"), soci::use(type, "type"), soci::use(run, "run"),
      soci::use(traceparent, "traceparent"), soci::use(tracestate, "tracestate");
}

}  // namespace faultline
