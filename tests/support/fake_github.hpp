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
  std::string requests() const;      // JSON array
  std::string issues() const;        // JSON object: repo -> issues
  std::string redeliveries() const;  // JSON array

 private:
  std::string control(const std::string& method, const std::string& what,
                      const std::string& body = "") const;

  std::unique_ptr<ChildProcess> process_;
  std::string url_;
};

}  // namespace faultline::testing
