#pragma once

// PostgreSQL through a SOCI connection pool. Every session runs in UTC.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/config.hpp"
#include "common/soci.hpp"

namespace faultline {

struct DatabaseSettings {
  std::string url = "postgresql://faultline@127.0.0.1:5432/faultline";
  std::size_t pool_size = 4;

  static DatabaseSettings from(const Environment& env, std::size_t default_pool_size);
};

class Database {
 public:
  // Opens every connection of the pool; throws soci::soci_error if the server
  // cannot be reached.
  explicit Database(const DatabaseSettings& settings);

  // Leases a session for `work`. A session whose connection was lost (a
  // restarted server) is reconnected before use.
  template <typename Work>
  auto with_session(Work&& work) {
    soci::session session(pool_);
    ensure_connected(session);
    return work(session);
  }

  // A trivial query answered in time.
  bool ping();

 private:
  void ensure_connected(soci::session& session);

  std::string url_;
  soci::connection_pool pool_;
};

// The URL with the session time zone pinned to UTC and notices silenced
// (libpq "options").
std::string with_utc_sessions(const std::string& url);

}  // namespace faultline
