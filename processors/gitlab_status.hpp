#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace faultline::processors {

// A GitLab pipeline's or job's status in the vocabulary GitHub's runs and jobs
// are stored in, so incidents, rollups, signatures and the API read GitLab's
// rows unchanged. The rank of the result (faultline_status_rank) follows
// GitLab's own order, so the upserts' never-backwards rule holds for both.
struct MappedStatus {
  std::string status;                     // requested, waiting, queued, in_progress, completed
  std::optional<std::string> conclusion;  // when completed: success, failure, neutral, ...
};

// `allow_failure` is a job's: its failure does not fail the pipeline, as a
// GitHub job that ends neutral does not fail its run.
MappedStatus map_gitlab_status(std::string_view gitlab_status, bool allow_failure = false);

}  // namespace faultline::processors
