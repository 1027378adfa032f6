#pragma once

// The webhook Faultline puts on a repository it connects: workflow_run and
// workflow_job, JSON, pointed at <FAULTLINE_PUBLIC_URL>/webhooks/github and
// signed with the repository's own secret (common/webhook_secrets.hpp), so
// ingest verifies it without asking the database.

#include <cstdint>
#include <string>

#include "api/github/github_settings.hpp"
#include "common/github_client.hpp"

namespace faultline::api {

class RepositoryHooks {
 public:
  RepositoryHooks(const GitHubSettings& settings, github::Client& github)
      : settings_(settings), github_(github) {}

  // The hook's id. A hook already pointing at our URL is taken over (its
  // secret and events set) rather than doubled, so a retry is harmless.
  // Throws ClientError when it cannot be done (no public URL, GitHub refuses).
  std::int64_t ensure(const std::string& token, const std::string& full_name,
                      std::int64_t repository_id) const;

  // Deletes the hook; one GitHub no longer has counts as deleted.
  void remove(const std::string& token, const std::string& full_name, std::int64_t hook_id) const;

 private:
  std::string hook_body(std::int64_t repository_id) const;

  const GitHubSettings& settings_;
  github::Client& github_;
};

}  // namespace faultline::api
