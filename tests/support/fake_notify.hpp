#pragma once

#include <memory>
#include <string>

#include "tests/support/process.hpp"

namespace faultline::testing {

// tests/fakes/fake-notify.mjs as a child process: Slack, Standard Webhooks
// and PagerDuty receivers, and their control endpoints.
class FakeNotify {
 public:
  FakeNotify();
  const std::string& url() const { return url_; }

  // The secrets POST /webhook/<name> verifies signatures with.
  void set_webhook_secrets(const std::string& name, const std::string& secrets_json);
  // The next requests under `path_prefix` get `responses_json` (an array of
  // {status, headers, body, delay_ms}) in turn; with `forever_json`, every one after them.
  void fail(const std::string& path_prefix, const std::string& responses_json,
            const std::string& forever_json = "");
  std::string received()
      const;  // JSON array of {receiver, path, headers, body, answered, verified}
  std::string pagerduty() const;  // JSON object: dedup_key -> {state, actions}

 private:
  std::string control(const std::string& method, const std::string& what,
                      const std::string& body = "") const;

  std::unique_ptr<ChildProcess> process_;
  std::string url_;
};

}  // namespace faultline::testing
