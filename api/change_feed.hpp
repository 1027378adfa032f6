#pragma once

// Tells the API when a table its cached answers read has changed. Triggers
// (schemas/db/016_analytics_changes.sql) NOTIFY the channel
// `faultline_analytics`; PostgreSQL delivers a notification only once its
// transaction has committed, so a query started after generation() moved
// sees the change. A feed that is not listening (the server is down or was
// restarted) says so: its generation then proves nothing.

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "common/stop_signal.hpp"

namespace faultline::api {

class ChangeFeed {
 public:
  // Listens on a connection of its own to `database_url`, reconnecting
  // after a loss, until destroyed.
  explicit ChangeFeed(std::string database_url);
  ~ChangeFeed();
  ChangeFeed(const ChangeFeed&) = delete;
  ChangeFeed& operator=(const ChangeFeed&) = delete;

  // Moves on with every notification, and with every loss or regain of the
  // connection (notifications may have been missed in between).
  std::uint64_t generation() const { return generation_.load(); }
  bool listening() const { return listening_.load(); }

 private:
  void run();
  // One connection's life: LISTEN, then every notification until it is
  // lost or stop is requested.
  void listen_once();

  std::string url_;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<bool> listening_{false};
  StopSignal stop_;
  std::thread thread_;
};

}  // namespace faultline::api
