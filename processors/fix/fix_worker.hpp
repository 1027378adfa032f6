#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

#include "common/config.hpp"
#include "common/database.hpp"
#include "common/github_call_log.hpp"
#include "common/github_client.hpp"
#include "common/metrics.hpp"
#include "common/repository_tokens.hpp"
#include "common/stop_signal.hpp"
#include "processors/fix/model_client.hpp"

namespace faultline::processors::fix {

struct FixSettings {
  std::size_t max_files = 5;                 // FAULTLINE_FIX_MAX_FILES
  std::size_t max_prompt_bytes = 64 * 1024;  // FAULTLINE_FIX_MAX_PROMPT_BYTES
  int per_day = 20;                          // FAULTLINE_FIX_PER_DAY, per repository
  int model_calls = 3;                       // FAULTLINE_FIX_MODEL_ATTEMPTS, per proposal
  // How long a taken proposal is not taken again (FAULTLINE_FIX_LEASE), so a
  // worker that died mid-way is taken over after it.
  std::chrono::milliseconds lease{std::chrono::minutes(10)};
  // How long a proposal waits for the failing job's error lines (the issues
  // role reads the log) before it asks the model without them.
  std::chrono::milliseconds context_wait{std::chrono::minutes(2)};
  // The wait after the first failed model call (FAULTLINE_FIX_RETRY_WAIT),
  // doubling after each, unless the model says (Retry-After).
  std::chrono::milliseconds retry_wait{std::chrono::seconds(30)};
  std::string dashboard_url;  // FAULTLINE_DASHBOARD_URL, for the link to the incident

  static FixSettings from(const Environment& env);
};

// Role `fixer`, the working half: takes each `requested` proposal, gathers the
// failure and the files at the failing commit, asks the model, validates its
// diff, and makes one branch with one commit and one draft pull request, then
// comments on the incident's issue. Every model call is a row of
// fix_model_calls; every GitHub call is in github_calls. A proposal is taken
// under a lease committed before the work, so two workers never work on one
// and a crashed worker's is taken over; the validated diff is stored before
// anything is made at GitHub, and branch and pull request are found by name
// rather than made again, so a crash anywhere makes nothing twice.
class FixWorker {
 public:
  FixWorker(Database& database, github::Client& github, const RepositoryTokens& tokens,
            ModelClient model, FixSettings settings, metrics::Registry& registry);

  // Works the due proposals one after another; returns how many it took.
  std::size_t work_due();

  // Passes until `stop`, idling `idle` when nothing was due.
  void run(const StopSignal& stop, std::chrono::milliseconds idle);

 private:
  struct Proposal;
  std::optional<std::int64_t> claim();
  void work(std::int64_t id);
  void ask_and_validate(Proposal& proposal);
  void open_pull_request(Proposal& proposal);
  void comment_on_issue(const Proposal& proposal);
  std::string pull_request_body(const Proposal& proposal) const;

  Database& database_;
  github::Client& github_;
  const RepositoryTokens& tokens_;
  ModelClient model_;
  FixSettings settings_;
  metrics::Registry& registry_;
  metrics::Histogram& model_latency_;
};

}  // namespace faultline::processors::fix
