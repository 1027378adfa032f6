#pragma once

#include <string>

#include "processors/transactional_consumer.hpp"

namespace faultline::processors {

// Role `runs`: keeps workflow_runs and workflow_jobs equal to what GitHub
// last said, with set-based statements (one round trip per table per batch).
// Status never goes backwards: requested/queued/waiting < in_progress < completed.
// Each run attempt and job is counted into the analytics rollups once, in the
// same transaction, when first seen completed.
class RunsHandler : public BatchHandler {
 public:
  explicit RunsHandler(std::string group_id) : group_id_(std::move(group_id)) {}

  std::vector<Rejection> apply(soci::session& sql,
                               const std::vector<kafka::Message>& batch) override;

 private:
  std::string group_id_;
};

// Counts into the rollups the completed runs and jobs stored before they
// existed (or by a version that did not count), a few thousand per
// transaction; returns how many. Run at start: afterwards it finds nothing.
std::size_t count_stored_history(soci::session& sql);

}  // namespace faultline::processors
