#pragma once

// What a failed run's logs say: the failing jobs of the run (GitHub's jobs
// API), the failing step of each and the error lines around it (from the
// job's log, through extract_failure), kept with the incident so the API and
// the GitHub issue can show them.

#include <cstdint>
#include <string>

#include "common/github_client.hpp"
#include "common/soci.hpp"

namespace faultline::processors {

class FailureReports {
 public:
  explicit FailureReports(github::Client& client) : client_(client) {}

  // The incident's failure context for `run_id`, fetched from GitHub unless
  // already stored for that run, as a Markdown section for an issue ("" when
  // GitHub has nothing to say). The context is a courtesy: GitHub refusing
  // or failing here never holds up the issue.
  // Each failing job's signature and category are recorded with it
  // (job_failures.hpp).
  std::string collect(soci::session& sql, std::int64_t incident_id, std::int64_t repository_id,
                      const std::string& repository, std::int64_t run_id, const std::string& token);

  // The Markdown section for a stored context (JSON): per job, where it
  // failed, its cause and how often that failure was seen elsewhere.
  static std::string markdown(soci::session& sql, const std::string& context_json);

 private:
  std::string fetch(const std::string& repository, std::int64_t run_id, const std::string& token);

  github::Client& client_;
};

}  // namespace faultline::processors
