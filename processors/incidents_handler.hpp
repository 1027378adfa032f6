#pragma once

#include <optional>
#include <string>

#include "processors/transactional_consumer.hpp"

namespace faultline::processors {

// What a completed run's conclusion means for its workflow and branch.
// failure, timed_out and startup_failure mean the workflow is broken there;
// success means it is healthy again; cancelled, skipped, action_required,
// neutral and stale (and conclusions GitHub adds later) say nothing either way.
enum class Verdict { kFailing, kHealthy, kNeutral };
Verdict verdict_of(const std::optional<std::string>& conclusion);

// Role `incidents`: opens an incident for a failing run or GitLab pipeline,
// recurs it for further failures, resolves it on the next success of the same
// workflow and branch (a GitLab pipeline's name, or source, and ref).
// Every run attempt counts once (incident_runs), so redeliveries and replays
// change nothing; lifecycle events go to the outbox in the same transaction.
class IncidentsHandler : public BatchHandler {
 public:
  std::vector<Rejection> apply(soci::session& sql,
                               const std::vector<kafka::Message>& batch) override;
};

}  // namespace faultline::processors
