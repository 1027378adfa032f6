#pragma once

#include <chrono>

#include "processors/transactional_consumer.hpp"

namespace faultline::processors {

// Role `notifier`, the consuming half: reads ci.incident.v1 through its
// documented schema and turns each change into one delivery row per channel
// whose rules match it, in the transaction that moves the group's offsets. The
// row's key (channel, change id) makes a change read twice, by a replay or an
// outbox republication, one delivery all the same. NotificationSender sends.
class NotifierHandler : public BatchHandler {
 public:
  // How long an incident's `opened` message waits for its failure context
  // (FAULTLINE_NOTIFY_CONTEXT_WAIT; 0: not at all), and whether a repository
  // without a token of its own has one to read logs with (FAULTLINE_GITHUB_TOKEN):
  // without any, nothing will come and nothing waits.
  NotifierHandler(std::chrono::milliseconds context_wait, bool fallback_token)
      : context_wait_(context_wait), fallback_token_(fallback_token) {}

  std::vector<Rejection> apply(soci::session& sql,
                               const std::vector<kafka::Message>& batch) override;

 private:
  std::chrono::milliseconds context_wait_;
  bool fallback_token_;
};

// The stable id of the incident change a message carries: its ce_id (the
// outbox row's, the same for every publication of the change), else the
// SHA-256 of its value.
std::string change_id(const kafka::Message& message);

}  // namespace faultline::processors
