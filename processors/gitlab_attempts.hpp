#pragma once

#include <cstdint>
#include <vector>

#include "common/gitlab_events.hpp"
#include "common/pg_literal.hpp"
#include "common/soci.hpp"

namespace faultline::processors {

// GitLab retries a pipeline in place and names no attempt, so a pipeline's
// attempts are numbered by the finishes it has reached
// (schemas/db/023_gitlab_attempts.sql): what happens before its first finish
// is attempt 1, what follows it attempt 2, and so on. The runs role numbers
// pipelines and jobs this way, the incidents role completed pipelines, and a
// pipeline that passes on a retry is then a later attempt that passed: flaky,
// as for GitHub.
class GitLabAttempts {
 public:
  // Ask for the attempt of a pipeline or job event; answers its position.
  std::size_t ask(const events::GitLabPipelineEvent& event);
  std::size_t ask(const events::GitLabJobEvent& event);

  // Records the finishes asked about and answers every question, in order of
  // asking, in one round trip (none when nothing was asked).
  std::vector<int> answer(soci::session& sql);

 private:
  pg::RecordSet questions_;
};

}  // namespace faultline::processors
