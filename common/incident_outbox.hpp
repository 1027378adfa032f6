#pragma once

#include <cstdint>
#include <string>

#include "common/soci.hpp"

namespace faultline {

// Lifecycle events of ci.incident.v1.
enum class IncidentEvent { kOpened, kRecurred, kAcknowledged, kResolved, kIssueLinked };

const char* to_string(IncidentEvent event);

// Inside the caller's transaction: queues the event describing incident `id`
// as it now stands, so it is published if and only if the change commits.
// `run_id` names the run that caused it (0 for a person's action).
// The event carries the calling thread's trace (trace::current()), if any.
void enqueue_incident_event(soci::session& sql, std::int64_t incident_id, IncidentEvent event,
                            std::int64_t run_id);

}  // namespace faultline
