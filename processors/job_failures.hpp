#pragma once

// What the failing jobs of an incident's run said, kept where the analytics
// can count it: one row per failing job with its signature and category,
// each signature once with an example, occurrences per repository and day,
// and the incident's own signature and category (those of its first failing
// job that has one).

#include <cstdint>
#include <string>

#include "common/soci.hpp"

namespace faultline::processors {

// Records the jobs of a stored failure context (the JSON FailureReports
// keeps: {run_id, jobs: [{id, name, step, signature, category,
// normalized_error, first_line, completed_at}]}); jobs without a signature
// and jobs already recorded are passed over, so calling it again changes
// nothing. Run it in the transaction that stores the context.
void record_job_failures(soci::session& sql, std::int64_t incident_id, std::int64_t repository_id,
                         const std::string& context_json);

// "seen 5 times in 3 repositories since 2026-11-20", or "" for a signature
// seen only once.
std::string signature_history(soci::session& sql, const std::string& signature);

}  // namespace faultline::processors
