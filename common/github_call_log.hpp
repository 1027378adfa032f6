#pragma once

#include <cstdint>
#include <string>

#include "common/database.hpp"
#include "common/github_client.hpp"

namespace faultline::github {

// Writes every GitHub call to github_calls at once, on its own connection, so
// the record survives whatever happens to the transaction around the call.
class CallLog : public CallRecorder {
 public:
  explicit CallLog(Database& database) : database_(database) {}

  // What the calls this thread makes next are for. Per thread, because the
  // reconciler, the issues role and API requests share one log.
  static void context(std::int64_t incident_id, std::int64_t repository_id, std::string purpose);

  void record(const Call& call) override;
  // A call not made, and why (no token, issues turned off).
  void skipped(const std::string& reason);

 private:
  Database& database_;
};

}  // namespace faultline::github
