#pragma once

// A language model behind an OpenAI-compatible chat-completions endpoint
// (NVIDIA's API, OpenAI, a vLLM or llama.cpp server): one question, one
// answer, and every way it can fail as a value the caller records.

#include <chrono>
#include <optional>
#include <string>

#include "common/config.hpp"

namespace faultline::processors::fix {

struct ModelSettings {
  std::string url;      // FAULTLINE_FIX_MODEL_URL: the API's base (…/v1) or its /chat/completions
  std::string model;    // FAULTLINE_FIX_MODEL
  std::string api_key;  // FAULTLINE_FIX_MODEL_API_KEY; sent as a bearer token, nowhere else
  std::chrono::milliseconds timeout{std::chrono::seconds(60)};  // FAULTLINE_FIX_TIMEOUT

  // Nothing without FAULTLINE_FIX_MODEL_URL: fix proposals are off.
  static std::optional<ModelSettings> from(const Environment& env);

  // The URL asked: `url` with /chat/completions unless it ends so.
  std::string endpoint() const;
};

enum class ModelOutcome {
  kAnswered,     // 200 with a message
  kTimeout,      // no answer within the timeout
  kUnreachable,  // no HTTP answer at all
  kRateLimited,  // 429
  kModelError,   // any other status
  kGarbage,      // 200 that is not a chat completion
};

const char* to_string(ModelOutcome outcome);

struct ModelReply {
  ModelOutcome outcome = ModelOutcome::kUnreachable;
  long status = 0;
  std::string content;  // the assistant's message, when answered
  std::string body;     // what came back, as it came, for the record
  std::string error;    // why, when not answered
  std::optional<long long> prompt_tokens, completion_tokens;
  std::optional<std::chrono::seconds> retry_after;
  std::chrono::milliseconds latency{0};
};

class ModelClient {
 public:
  explicit ModelClient(ModelSettings settings) : settings_(std::move(settings)) {}

  // The request's body for `system` and `user`, at temperature 0.
  std::string request_body(const std::string& system, const std::string& user) const;

  ModelReply ask(const std::string& request_body) const;

  const ModelSettings& settings() const { return settings_; }

 private:
  ModelSettings settings_;
};

// What an answer's body says: the message and token counts, or kGarbage.
ModelReply read_completion(long status, std::string body);

}  // namespace faultline::processors::fix
