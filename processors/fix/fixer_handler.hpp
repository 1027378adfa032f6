#pragma once

#include "processors/transactional_consumer.hpp"

namespace faultline::processors::fix {

// Role `fixer`, the consuming half. From ci.incident.v1: an incident opened in
// a GitHub repository whose fix_proposals is `automatic` gets its first
// proposal (`requested`, attempt 1); read again (a replay, a republished
// outbox row) it is the same row. From ci.pull_request.v1: a proposal's pull
// request merged or closed by a person moves the proposal with it. Both in the
// transaction that moves the group's offsets; FixWorker does the work.
class FixerHandler : public BatchHandler {
 public:
  std::vector<Rejection> apply(soci::session& sql,
                               const std::vector<kafka::Message>& batch) override;
};

}  // namespace faultline::processors::fix
