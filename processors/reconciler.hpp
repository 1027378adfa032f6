#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/database.hpp"
#include "common/github_call_log.hpp"
#include "common/github_client.hpp"
#include "common/kafka.hpp"
#include "common/repository_tokens.hpp"
#include "common/stop_signal.hpp"

namespace faultline::processors {

struct ReconcileOptions {
  std::chrono::seconds since{std::chrono::hours(24)};
  std::string repository;  // owner/name; empty: every tracked repository with reconcile on
};

struct ReconciliationReport {
  std::int64_t id = 0;
  int repositories_inspected = 0;
  int runs_inspected = 0;
  int runs_missing = 0;
  int redeliveries_requested = 0;
  std::vector<std::string> errors;
};

// Finds what lost webhook deliveries hid: lists each repository's completed
// runs in the window through GitHub's API, publishes the ones the state lacks
// to ci.workflow_run.v1 (source "reconciler", a deterministic ce_id, so the
// normal pipeline handles them and a second pass duplicates nothing), asks
// GitHub to redeliver failed deliveries once, and writes an audit record.
class Reconciler {
 public:
  Reconciler(Database& database, github::Client& github, github::CallLog& calls,
             kafka::Producer& producer, const RepositoryTokens& tokens);

  ReconciliationReport pass(const ReconcileOptions& options);
  void run(const StopSignal& stop, std::chrono::milliseconds interval);

 private:
  struct Repository;
  void reconcile_runs(const Repository& repo, const std::string& token, const std::string& from,
                      const std::string& to, ReconciliationReport& report,
                      std::vector<long long>& published, int depth);
  void redeliver_failures(const Repository& repo, const std::string& token,
                          const std::string& since, ReconciliationReport& report);

  Database& database_;
  github::Client& github_;
  github::CallLog& calls_;
  kafka::Producer& producer_;
  const RepositoryTokens& tokens_;
};

}  // namespace faultline::processors
