#pragma once

#include <cstdint>
#include <string>

#include "common/database.hpp"
#include "common/github_client.hpp"
#include "common/metrics.hpp"

namespace faultline::github {

// What a GitHub call is for, recorded with it.
struct CallContext {
  std::int64_t incident_id = 0;    // 0: none
  std::int64_t repository_id = 0;  // 0: none
  std::string purpose = "unspecified";
};

// Writes every GitHub call to github_calls at once, on its own connection, so
// the record survives whatever happens to the transaction around the call.
class CallLog : public CallRecorder {
 public:
  // With `registry`, every call is also counted in faultline_github_calls_total
  // by purpose and outcome (ok, refused, rate_limited, server_error,
  // unreachable, skipped).
  explicit CallLog(Database& database, metrics::Registry* registry = nullptr)
      : database_(database), registry_(registry) {}

  // What the calls this thread makes are for while the scope lives; the
  // context before it comes back when it ends, so a call made outside any
  // scope is recorded as "unspecified", never under an earlier request's
  // purpose. Per thread, because the reconciler, the issues role and API
  // requests share one log.
  class Scope {
   public:
    Scope(std::int64_t incident_id, std::int64_t repository_id, std::string purpose);
    ~Scope();
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;

   private:
    CallContext previous_;
  };

  void record(const Call& call) override;
  // A call not made, and why (no token, issues turned off).
  void skipped(const std::string& reason);

 private:
  void count(const Call& call);

  Database& database_;
  metrics::Registry* registry_;
};

}  // namespace faultline::github
