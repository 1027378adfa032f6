#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "common/github_call_log.hpp"
#include "common/github_client.hpp"
#include "common/repository_tokens.hpp"
#include "processors/failure_reports.hpp"
#include "processors/transactional_consumer.hpp"

namespace faultline::processors {

// The marker hidden in an issue's body that ties it to its incident.
std::string incident_marker(std::int64_t incident_id);

// Role `issues`: keeps one GitHub issue per incident. `opened` creates it
// (after looking for an issue that already carries the incident's marker, so a
// crash between GitHub's answer and our commit never makes a second one);
// `recurred` comments; `resolved` comments and closes. Issues and comments
// about a failure carry what the failing jobs' logs say (FailureReports). The client paces
// mutations, so a burst of incidents queues in Kafka rather than being dropped.
class IssuesHandler : public BatchHandler {
 public:
  IssuesHandler(github::Client& client, github::CallLog& calls, const RepositoryTokens& tokens);

  std::vector<Rejection> apply(soci::session& sql,
                               const std::vector<kafka::Message>& batch) override;

 private:
  struct Incident;
  void handle(soci::session& sql, const std::string& type, const Incident& incident);
  std::optional<std::string> token_for(soci::session& sql, const Incident& incident);
  std::optional<std::int64_t> find_or_create_issue(soci::session& sql, const Incident& incident,
                                                   const std::string& token, bool create);
  std::int64_t create_issue(soci::session& sql, const Incident& incident, const std::string& token);
  // The Markdown failure context of the run the event is about.
  std::string failure_context(soci::session& sql, const Incident& incident,
                              const std::string& token);

  github::Client& client_;
  github::CallLog& calls_;
  const RepositoryTokens& tokens_;
  FailureReports reports_;
};

}  // namespace faultline::processors
