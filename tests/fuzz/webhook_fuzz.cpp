// Webhook parsing and normalization: any body, signed so it gets past the
// signature to the JSON parser and the normalizer, as either event type.
// Whatever arrives, the answer is a reply or a message, never a crash.

#include <cstddef>
#include <cstdint>
#include <string>
#include <variant>

#include "common/events.hpp"
#include "ingest/webhook.hpp"

using namespace faultline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const ingest::SignatureVerifier verifier({"fuzz-secret"});
  if (size == 0)
    return 0;
  const char* event = data[0] % 2 ? "workflow_run" : "workflow_job";
  const std::string body(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string signature = ingest::SignatureVerifier::sign("fuzz-secret", body);
  const ingest::WebhookRequest request{body,   signature,    event,     "fuzz-delivery",
                                       "4242", "repository", "1296269", "2026-11-23T10:00:00Z"};
  const auto outcome = ingest::handle_webhook(request, verifier, 25 * 1024 * 1024);
  if (const auto* message = std::get_if<kafka::OutgoingMessage>(&outcome)) {
    // What was published must read back as the event it claims to be.
    if (message->topic == "ci.workflow_run.v1")
      events::parse_workflow_run_event(message->value);
    else
      events::parse_workflow_job_event(message->value);
  }
  return 0;
}
