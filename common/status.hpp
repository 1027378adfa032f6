#pragma once

// /health, /ready and /metrics, answered the same way by every Faultline
// service: /health is always ok (the process answers), /ready is the first
// problem one of the service's checks names (503) or ok, /metrics is the
// registry in the Prometheus text format.

#include <pistache/endpoint.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"
#include "common/http.hpp"
#include "common/metrics.hpp"
#include "common/problem.hpp"

namespace faultline::status {

// What keeps the service from being ready, or nullopt when this part is.
using Check = std::function<std::optional<Problem>()>;
using Checks = std::vector<Check>;

// A 503 problem: the service cannot serve for now.
Problem unavailable(std::string detail, std::string kind = "unavailable");

http::Reply health();
// Runs the checks in order; the first problem is the answer.
http::Reply ready(const Checks& checks);
http::Reply metrics(const metrics::Registry& registry);

// Whether `path` is one of the three.
bool serves(std::string_view path);
// The answer to GET `path` when it is one of the three, else nullopt.
std::optional<http::Reply> answer(std::string_view path, const Checks& checks,
                                  const metrics::Registry& registry);

// A Pistache endpoint that serves only the three (the processors, which serve
// nothing else); any other path is 404.
class StatusServer {
 public:
  StatusServer(const HostPort& address, const metrics::Registry& registry);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

  // Serves on a thread of its own from now on, /ready from `checks`.
  void serve(Checks checks);
  std::uint16_t port() const;
  void shutdown();

 private:
  const metrics::Registry& registry_;
  Pistache::Http::Endpoint endpoint_;
  bool serving_ = false;
};

}  // namespace faultline::status
