#include "processors/gitlab_attempts.hpp"

#include "common/provider_ids.hpp"
#include "processors/gitlab_status.hpp"

namespace faultline::processors {

std::size_t GitLabAttempts::ask(const events::GitLabPipelineEvent& event) {
  const auto& pipeline = event.pipeline;
  const bool completed = map_gitlab_status(pipeline.status).status == "completed";
  questions_.add([&](pg::RecordSet::Row& row) {
    row.number("repository_id", stored_id(Provider::gitlab, event.envelope.project.id));
    row.number("run_id", stored_id(Provider::gitlab, pipeline.id));
    // A pipeline that is not finished but has finished_at was retried after it.
    row.text(completed ? "finished_at" : "follows", pipeline.finished_at);
  });
  return questions_.size() - 1;
}

std::size_t GitLabAttempts::ask(const events::GitLabJobEvent& event) {
  const auto& job = event.job;
  questions_.add([&](pg::RecordSet::Row& row) {
    row.number("repository_id", stored_id(Provider::gitlab, event.envelope.project.id));
    row.number("run_id", stored_id(Provider::gitlab, job.pipeline_id));
    // A job made after a finish is a retry's.
    row.text("follows", job.created_at);
  });
  return questions_.size() - 1;
}

std::vector<int> GitLabAttempts::answer(soci::session& sql) {
  std::vector<int> attempts;
  if (questions_.empty())
    return attempts;
  attempts.reserve(questions_.size());
  const std::string rows = questions_.finish();
  soci::rowset<soci::row> answers =
      (sql.prepare << "SELECT attempt FROM faultline_gitlab_attempts(:rows::jsonb) ORDER BY n",
       soci::use(rows, "rows"));
  for (const auto& answer : answers)
    attempts.push_back(answer.get<int>(0));
  return attempts;
}

}  // namespace faultline::processors
