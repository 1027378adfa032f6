#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/http.hpp"
#include "common/kafka.hpp"
#include "ingest/signature.hpp"

namespace faultline::ingest {

// The path GitHub's deliveries arrive at (schemas/openapi.yaml documents it).
inline constexpr std::string_view kWebhookPath = "/webhooks/github";

// What arrived at POST /webhooks/github, free of Pistache types.
struct WebhookRequest {
  std::string_view body;
  std::optional<std::string_view> signature;    // X-Hub-Signature-256
  std::optional<std::string_view> event;        // X-GitHub-Event
  std::optional<std::string_view> delivery_id;  // X-GitHub-Delivery
  std::optional<std::string_view> hook_id;      // X-GitHub-Hook-ID
  // X-GitHub-Hook-Installation-Target-Type and -ID: what the hook is on.
  std::optional<std::string_view> hook_target_type;
  std::optional<std::string_view> hook_target_id;
  std::string received_at;
};

// Either the answer to send now, or a message to publish (and answer 202 once
// the broker acknowledged it).
using WebhookOutcome = std::variant<http::Reply, kafka::OutgoingMessage>;

// Applies the ingest table of DESIGN.md, in order: size, signature, headers,
// event type, body.
WebhookOutcome handle_webhook(const WebhookRequest& request, const SignatureVerifier& verifier,
                              std::size_t max_body_bytes);

}  // namespace faultline::ingest
