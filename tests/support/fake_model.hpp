#pragma once

#include <memory>
#include <string>

#include "tests/support/process.hpp"

namespace faultline::testing {

// tests/fakes/fake-model.mjs as a child process: an OpenAI-compatible
// POST /v1/chat/completions that answers with scripted replies.
class FakeModel {
 public:
  FakeModel();
  // http://127.0.0.1:PORT, the base a client appends /v1/chat/completions to.
  const std::string& url() const { return url_; }

  // Appends `replies_json` (an array of {content, no_usage, finish_reason} |
  // {status, retry_after, headers, body} | {raw, status}, each with an optional
  // delay_ms) to the queue; with `forever_json`, every request after the queue gets it.
  void reply(const std::string& replies_json, const std::string& forever_json = "");
  // The key Authorization: Bearer must carry (test-model-key until set).
  void set_api_key(const std::string& key);
  std::string requests() const;  // JSON array of {method, path, headers, body, answered}
  // No replies, no requests, the default key.
  void reset();

 private:
  std::string control(const std::string& method, const std::string& what,
                      const std::string& body = "") const;

  std::unique_ptr<ChildProcess> process_;
  std::string url_;
};

}  // namespace faultline::testing
