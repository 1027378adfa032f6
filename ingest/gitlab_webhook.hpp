#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ingest/gitlab_token.hpp"
#include "ingest/standard_webhooks.hpp"
#include "ingest/webhook.hpp"

namespace faultline::ingest {

// The path GitLab's deliveries arrive at.
inline constexpr std::string_view kGitLabWebhookPath = "/webhooks/gitlab";

// What arrived at POST /webhooks/gitlab, free of Pistache types.
struct GitLabWebhookRequest {
  std::string_view body;
  std::optional<std::string_view> token;            // X-Gitlab-Token
  std::optional<std::string_view> event;            // X-Gitlab-Event
  std::optional<std::string_view> idempotency_key;  // Idempotency-Key
  std::optional<std::string_view> event_uuid;       // X-Gitlab-Event-UUID
  std::optional<std::string_view> instance;         // X-Gitlab-Instance
  StandardSignatureHeaders signature;               // webhook-id, -timestamp, -signature
  std::string received_at;                          // RFC 3339
  std::int64_t now = 0;                             // seconds since the epoch
};

// How a GitLab delivery is authenticated: the token when tokens are
// configured, the Standard Webhooks signature when signing secrets are. With
// neither, every delivery is refused.
struct GitLabVerifiers {
  const GitLabTokenVerifier& tokens;
  const StandardWebhookVerifier& signatures;
};

// The delivery id: Idempotency-Key, which GitLab keeps across its retries;
// else webhook-id, which the Standard Webhooks signature covers and which is
// stable across retries too; else X-Gitlab-Event-UUID (older GitLab). The
// first one present is the one, valid or not.
std::optional<std::string_view> gitlab_delivery_id(const GitLabWebhookRequest& request);

// The ingest table for GitLab, in order: size, token, signature, headers,
// event type, body.
WebhookOutcome handle_gitlab_webhook(const GitLabWebhookRequest& request,
                                     const GitLabVerifiers& verifiers, std::size_t max_body_bytes);

}  // namespace faultline::ingest
