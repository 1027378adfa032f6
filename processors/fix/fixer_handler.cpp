#include "processors/fix/fixer_handler.hpp"

#include "common/notify/messages.hpp"
#include "common/pull_request_events.hpp"
#include "common/topics.hpp"

namespace faultline::processors::fix {
namespace {

constexpr const char* kRequest = R"SQL(
INSERT INTO fix_proposals (incident_id, repository_id, attempt, branch, requested_by, run_id)
SELECT i.id, i.repository_id, 1, 'faultline/fix-' || i.id || '-1', 'automatic',
       i.last_failed_run_id
  FROM incidents i JOIN repositories r ON r.id = i.repository_id
 WHERE i.id = :id AND r.provider = 'github' AND r.fix_proposals = 'automatic'
ON CONFLICT DO NOTHING
)SQL";

// A merge is final; a closed pull request may be reopened. A proposal still
// `requested` has not recorded its pull request yet and is left to its worker.
constexpr const char* kFollow = R"SQL(
UPDATE fix_proposals
   SET state = CASE WHEN :merged::int = 1 THEN 'merged'
                    WHEN :state = 'closed' THEN 'closed' ELSE 'opened' END,
       merged_at = CASE WHEN :merged::int = 1
                        THEN COALESCE(:merged_at::timestamptz, now()) END,
       closed_at = CASE WHEN :state = 'closed'
                        THEN COALESCE(:closed_at::timestamptz, now()) END,
       pull_number = COALESCE(pull_number, :number), updated_at = now()
 WHERE repository_id = :repository AND branch = :branch AND state IN ('opened', 'closed')
)SQL";

}  // namespace

std::vector<Rejection> FixerHandler::apply(soci::session& sql,
                                           const std::vector<kafka::Message>& batch) {
  std::vector<Rejection> rejections;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& message = batch[i];
    try {
      if (message.topic() == topics::kIncident) {
        const auto change = notify::IncidentChange::parse(message.value());
        if (change.type != "opened")
          continue;
        const long long id = change.incident_id;
        sql << kRequest, soci::use(id, "id");
      } else if (message.topic() == topics::kPullRequest) {
        const auto event = events::parse_pull_request_event(message.value());
        const auto& pull = event.pull_request;
        if (!pull.head_ref || pull.head_ref->rfind("faultline/fix-", 0) != 0)
          continue;
        const int merged = pull.merged ? 1 : 0;
        const long long repository = event.envelope.repository.id, number = pull.number;
        const std::string merged_at = pull.merged_at.value_or(""),
                          closed_at = pull.closed_at.value_or("");
        soci::indicator merged_ind = merged_at.empty() ? soci::i_null : soci::i_ok,
                        closed_ind = closed_at.empty() ? soci::i_null : soci::i_ok;
        sql << kFollow, soci::use(merged, "merged"), soci::use(pull.state, "state"),
            soci::use(merged_at, merged_ind, "merged_at"),
            soci::use(closed_at, closed_ind, "closed_at"), soci::use(number, "number"),
            soci::use(repository, "repository"), soci::use(*pull.head_ref, "branch");
      }
    } catch (const json::ParseError& e) {
      rejections.push_back({i, e.what()});
    } catch (const events::EventError& e) {
      rejections.push_back({i, e.what()});
    }
  }
  return rejections;
}

}  // namespace faultline::processors::fix
