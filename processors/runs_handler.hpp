#pragma once

#include <string>

#include "processors/transactional_consumer.hpp"

namespace faultline::processors {

// Role `runs`: keeps workflow_runs and workflow_jobs equal to what GitHub
// last said, with set-based statements (one round trip per table per batch).
// Status never goes backwards: requested/queued/waiting < in_progress < completed.
class RunsHandler : public BatchHandler {
 public:
  explicit RunsHandler(std::string group_id) : group_id_(std::move(group_id)) {}

  std::vector<Rejection> apply(soci::session& sql,
                               const std::vector<kafka::Message>& batch) override;

 private:
  std::string group_id_;
};

}  // namespace faultline::processors
