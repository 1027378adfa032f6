#pragma once

#include <pistache/endpoint.h>

#include <chrono>
#include <cstdint>
#include <memory>

#include "common/metrics.hpp"
#include "ingest/ingest_settings.hpp"

namespace faultline::ingest {

struct IngestState;

// POST /webhooks/github, POST /webhooks/gitlab, /health, /ready and /metrics
// on one Pistache endpoint.
class IngestServer {
 public:
  IngestServer(const IngestSettings& settings, metrics::Registry& registry);
  ~IngestServer();

  void start();
  std::uint16_t port() const;

  // New webhooks get 503 from now on; waits until every accepted request has
  // been answered (or `limit` passed) and the producer is flushed.
  void drain(std::chrono::milliseconds limit);
  void stop();

 private:
  std::shared_ptr<IngestState> state_;
  Pistache::Http::Endpoint endpoint_;
  int threads_;
};

}  // namespace faultline::ingest
