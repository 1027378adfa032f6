// GitLab webhook parsing and normalization: any body, authenticated so it
// gets past the token (and, every other input, a Standard Webhooks signature)
// to the JSON parser and the normalizer, as a Pipeline Hook or a Job Hook.
// Whatever arrives, the answer is a reply or a message; a message reads back
// as the event its topic names, writes back to the same bytes (normalizing
// is done once), and is keyed by its project and pipeline.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <variant>

#include "common/events.hpp"
#include "common/gitlab_events.hpp"
#include "common/time.hpp"
#include "common/topics.hpp"
#include "ingest/gitlab_normalize.hpp"
#include "ingest/gitlab_webhook.hpp"

using namespace faultline;

namespace {

void require(bool condition) {
  if (!condition)
    std::abort();
}

void require_time(const events::OptionalText& time) {
  require(!time || (is_rfc3339(*time) && gitlab_time_utc(*time) == time));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ingest::GitLabTokenVerifier tokens({"fuzz-token"});
  static const std::string key = "fuzz-signing-key";
  static const ingest::StandardWebhookVerifier signed_verifier({key}, std::chrono::minutes(5));
  static const ingest::StandardWebhookVerifier unsigned_verifier({}, std::chrono::minutes(5));
  if (size == 0)
    return 0;
  const char* event = data[0] % 2 ? ingest::kPipelineHook : ingest::kJobHook;
  const bool sign = data[0] & 2;
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  constexpr std::int64_t now = 1764670000;
  const std::string timestamp = std::to_string(now);
  const std::string signature = ingest::StandardWebhookVerifier::sign(key, "msg_fuzz", now, body);
  ingest::GitLabWebhookRequest request{body,
                                       "fuzz-token",
                                       event,
                                       "fuzz-delivery",
                                       "fuzz-event-uuid",
                                       "https://gitlab.example.com",
                                       {},
                                       "2026-12-02T10:00:00Z",
                                       now};
  if (sign)
    request.signature = {"msg_fuzz", timestamp, signature};
  const auto outcome = ingest::handle_gitlab_webhook(
      request, {tokens, sign ? signed_verifier : unsigned_verifier}, 25 * 1024 * 1024);
  const auto* message = std::get_if<kafka::OutgoingMessage>(&outcome);
  if (!message)
    return 0;
  if (message->topic == std::string(topics::kGitLabPipeline)) {
    const auto parsed = events::parse_gitlab_pipeline_event(message->value);
    require(events::to_json(parsed) == message->value);
    require(message->key == events::partition_key(parsed.envelope.project.id, parsed.pipeline.id));
    require_time(parsed.pipeline.created_at);
    require_time(parsed.pipeline.finished_at);
  } else {
    require(message->topic == std::string(topics::kGitLabJob));
    const auto parsed = events::parse_gitlab_job_event(message->value);
    require(events::to_json(parsed) == message->value);
    require(message->key ==
            events::partition_key(parsed.envelope.project.id, parsed.job.pipeline_id));
    require_time(parsed.job.created_at);
    require_time(parsed.job.started_at);
    require_time(parsed.job.finished_at);
  }
  // Headers are printable: nothing of the body can split or forge one.
  for (const auto& header : message->headers)
    for (const char c : header.value)
      require(c >= 0x20 && c < 0x7f);
  return 0;
}
