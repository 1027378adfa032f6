#pragma once

#include <memory>
#include <string>

#include "tests/support/process.hpp"

namespace faultline::testing {

// tests/fakes/fake-github.mjs as a child process, and its control endpoints.
class FakeGitHub {
 public:
  FakeGitHub();
  const std::string& url() const { return url_; }

  void seed_runs(const std::string& repo, const std::string& runs_json);
  void seed_deliveries(const std::string& repo, long long hook_id,
                       const std::string& deliveries_json);
  // The next requests matching get `responses_json` (an array of {status, headers, body}) in turn.
  void fail_next(const std::string& method, const std::string& path_prefix,
                 const std::string& responses_json);
  // Every later request matching is answered `ms` late (a slow GitHub), until the fake is reset.
  void delay(const std::string& method, const std::string& path_prefix, int ms);
  // The next request matching is done at once and answered `ms` late: what a
  // client killed meanwhile never learns GitHub did.
  void delay_answer(const std::string& method, const std::string& path_prefix, int ms);
  std::string requests() const;      // JSON array
  std::string issues() const;        // JSON object: repo -> issues
  std::string redeliveries() const;  // JSON array

  // The OAuth app the fake accepts (default fake-client / fake-secret).
  void set_oauth_app(const std::string& client_id, const std::string& client_secret);
  // A user who approves authorize requests; `repos_json` is their /user/repos; `token` is valid.
  void add_user(const std::string& login, long long id, const std::string& repos_json = "[]",
                const std::string& token = "");
  std::string hooks() const;        // JSON object: repo -> hooks, secrets unmasked
  std::string reruns() const;       // JSON array of {repo, run_id, failed_jobs_only, token}
  std::string revocations() const;  // JSON array of {client_id, token}
  std::string tokens() const;       // JSON object: valid token -> login
  // The jobs GET /repos/{repo}/actions/runs/{run_id}/jobs lists (appended to earlier ones).
  void seed_jobs(const std::string& repo, long long run_id, const std::string& jobs_json);
  // A job's log; another `status` (e.g. 410) makes the logs route answer it instead.
  void seed_log(long long job_id, const std::string& text, int status = 200);

  // Git: a commit of `files_json` ({path: text}) on top of `branch` (or its
  // first), the branch moved to it; its sha.
  std::string seed_commit(const std::string& repo, const std::string& branch,
                          const std::string& files_json);
  // {commit, parents, message, files: {path: text}} at a branch or commit, or "null".
  std::string files_at(const std::string& repo, const std::string& ref) const;
  std::string pulls() const;  // JSON object: repo -> pull requests

 private:
  std::string control(const std::string& method, const std::string& what,
                      const std::string& body = "") const;

  std::unique_ptr<ChildProcess> process_;
  std::string url_;
};

}  // namespace faultline::testing
