#pragma once

#include <cstdint>
#include <string>

#include "common/database.hpp"
#include "common/github_client.hpp"

namespace faultline::processors {

// Writes every GitHub call to github_calls at once, on its own connection, so
// the record survives whatever happens to the transaction around the call.
class GitHubCallLog : public github::CallRecorder {
 public:
  explicit GitHubCallLog(Database& database) : database_(database) {}

  // What the next calls are for (the caller is single-threaded).
  void context(std::int64_t incident_id, std::int64_t repository_id, std::string purpose);

  void record(const github::Call& call) override;
  // A call not made, and why (no token, issues turned off).
  void skipped(const std::string& reason);

 private:
  Database& database_;
  std::int64_t incident_id_ = 0;
  std::int64_t repository_id_ = 0;
  std::string purpose_;
};

}  // namespace faultline::processors
