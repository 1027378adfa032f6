#include "processors/job_failures.hpp"

namespace faultline::processors {
namespace {

// One statement: the new job rows, then what they add to the signature tables
// and the incident. Only rows actually inserted count, so a context recorded
// twice (a retried batch, a restart) is counted once.
constexpr const char* kRecord = R"sql(
WITH p AS (SELECT :context::jsonb AS context, :repository::bigint AS repository,
                  :incident::bigint AS incident),
jobs AS (
  SELECT j.id AS job_id, COALESCE(j.name, '') AS job, COALESCE(j.step, '') AS step, j.signature,
         j.category, COALESCE(j.normalized_error, '') AS normalized_error,
         COALESCE(j.first_line, '') AS first_line,
         COALESCE(j.completed_at, now()) AS failed_at, n AS position
    FROM p, jsonb_array_elements(p.context -> 'jobs') WITH ORDINALITY AS a(element, n),
         jsonb_to_record(a.element) AS j(id bigint, name text, step text, signature text,
           category text, normalized_error text, first_line text, completed_at timestamptz)
   WHERE j.signature IS NOT NULL AND j.category IS NOT NULL),
inserted AS (
  INSERT INTO job_failures (repository_id, job_id, run_id, incident_id, job, step, signature,
                            category, normalized_error, first_line, failed_at)
  SELECT p.repository, job_id, (p.context ->> 'run_id')::bigint, p.incident, job, step,
         signature, category, normalized_error, first_line, failed_at
    FROM p, jobs
  ON CONFLICT (repository_id, job_id) DO NOTHING
  RETURNING signature, category, normalized_error, job, first_line, failed_at, run_id),
signatures AS (
  INSERT INTO failure_signatures AS s (signature, category, normalized_error, example_repository,
                                       example_run_id, example_job, example_line, first_seen,
                                       last_seen)
  SELECT DISTINCT ON (i.signature) i.signature, i.category, i.normalized_error, r.full_name,
         i.run_id, i.job, i.first_line, i.failed_at, i.failed_at
    FROM inserted i, p JOIN repositories r ON r.id = p.repository
   ORDER BY i.signature, i.failed_at
  ON CONFLICT (signature) DO UPDATE SET
    first_seen = LEAST(s.first_seen, EXCLUDED.first_seen),
    last_seen = GREATEST(s.last_seen, EXCLUDED.last_seen)
  RETURNING 1),
daily AS (
  INSERT INTO failure_signature_daily AS d (signature, repository_id, day, category, occurrences,
                                            last_seen)
  SELECT signature, p.repository, (failed_at AT TIME ZONE 'UTC')::date, min(category), count(*),
         max(failed_at)
    FROM inserted, p GROUP BY signature, p.repository, (failed_at AT TIME ZONE 'UTC')::date
   ORDER BY 1, 3
  ON CONFLICT (signature, repository_id, day) DO UPDATE SET
    occurrences = d.occurrences + EXCLUDED.occurrences,
    last_seen = GREATEST(d.last_seen, EXCLUDED.last_seen)
  RETURNING 1)
UPDATE incidents SET signature = first.signature, category = first.category
  FROM p, (SELECT signature, category FROM jobs ORDER BY position LIMIT 1) first
 WHERE id = p.incident AND incidents.signature IS NULL
)sql";

constexpr const char* kHistory = R"sql(
SELECT COALESCE(sum(occurrences), 0), count(DISTINCT repository_id),
       COALESCE(to_char(min(day), 'YYYY-MM-DD'), '')
  FROM failure_signature_daily WHERE signature = :signature
)sql";

}  // namespace

void record_job_failures(soci::session& sql, std::int64_t incident_id, std::int64_t repository_id,
                         const std::string& context_json) {
  const long long incident = incident_id, repository = repository_id;
  sql << kRecord, soci::use(context_json, "context"), soci::use(repository, "repository"),
      soci::use(incident, "incident");
}

std::string signature_history(soci::session& sql, const std::string& signature) {
  long long occurrences = 0, repositories = 0;
  std::string since;
  sql << kHistory, soci::use(signature, "signature"), soci::into(occurrences),
      soci::into(repositories), soci::into(since);
  if (occurrences < 2)
    return "";
  return "seen " + std::to_string(occurrences) + " times in " + std::to_string(repositories) +
         (repositories == 1 ? " repository" : " repositories") + " since " + since;
}

}  // namespace faultline::processors
