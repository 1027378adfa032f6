#include "ingest/gitlab_webhook.hpp"

#include "common/events.hpp"
#include "ingest/gitlab_normalize.hpp"
#include "ingest/webhook_rules.hpp"

namespace faultline::ingest {
namespace {

http::Reply bad_token(const char* detail) {
  return unauthorized(detail, "invalid-token");
}

// Why a delivery's Standard Webhooks signature does not verify, or nothing.
std::optional<http::Reply> signature_refusal(const GitLabWebhookRequest& request,
                                             const StandardWebhookVerifier& verifier) {
  switch (verifier.check(request.signature, request.body, request.now)) {
    case StandardSignatureCheck::kValid:
      return std::nullopt;
    case StandardSignatureCheck::kAbsent:
      return unauthorized("The webhook-signature header is missing (a signing secret is set).");
    case StandardSignatureCheck::kIncomplete:
      return unauthorized(
          "The webhook-id, webhook-timestamp and webhook-signature headers go together; one is "
          "missing.");
    case StandardSignatureCheck::kMalformed:
      return unauthorized(
          "The webhook-timestamp is not seconds since the epoch, or webhook-signature holds no "
          "v1,<base64 of 32 bytes>.");
    case StandardSignatureCheck::kStale:
      return unauthorized("The webhook-timestamp is too far from now.");
    case StandardSignatureCheck::kMismatch:
      return unauthorized("The signature does not match the body.");
  }
  return unauthorized("The signature does not match the body.");
}

// A header worth keeping in the event: short printable ASCII, or nothing.
events::OptionalText kept(std::optional<std::string_view> header) {
  if (!header || !valid_delivery_id(*header))
    return std::nullopt;
  return std::string(*header);
}

}  // namespace

std::optional<std::string_view> gitlab_delivery_id(const GitLabWebhookRequest& request) {
  for (const auto& candidate : {request.idempotency_key, request.signature.id, request.event_uuid})
    if (candidate && !candidate->empty())
      return candidate;
  return std::nullopt;
}

WebhookOutcome handle_gitlab_webhook(const GitLabWebhookRequest& request,
                                     const GitLabVerifiers& verifiers, std::size_t max_body_bytes) {
  if (request.body.size() > max_body_bytes)
    return payload_too_large(max_body_bytes);

  if (!verifiers.tokens.configured() && !verifiers.signatures.configured())
    return bad_token("GitLab webhooks are not configured on this server.");
  if (verifiers.tokens.configured()) {
    switch (verifiers.tokens.check(request.token)) {
      case TokenCheck::kValid:
        break;
      case TokenCheck::kMissing:
        return bad_token("The X-Gitlab-Token header is missing.");
      case TokenCheck::kMismatch:
        return bad_token("The X-Gitlab-Token header does not match.");
    }
  }
  // Without a signing secret a signature cannot be checked: the token decides.
  if (verifiers.signatures.configured())
    if (auto refused = signature_refusal(request, verifiers.signatures))
      return std::move(*refused);

  if (!request.event || request.event->empty())
    return missing_header("The X-Gitlab-Event header is missing.");
  const auto delivery_id = gitlab_delivery_id(request);
  if (!delivery_id || !valid_delivery_id(*delivery_id))
    return missing_header(
        "The Idempotency-Key header (or webhook-id, or X-Gitlab-Event-UUID) is missing or "
        "malformed.");

  const std::string event(*request.event);
  if (event != kPipelineHook && event != kJobHook)
    return http::json_reply(202, R"({"ignored":true})");

  auto parsed = parse_body(request.body);
  if (auto* refused = std::get_if<http::Reply>(&parsed))
    return std::move(*refused);
  try {
    return normalize_gitlab(
        GitLabDelivery{event, std::string(*delivery_id), kept(request.event_uuid),
                       kept(request.instance), request.received_at},
        std::get<json::Document>(parsed));
  } catch (const events::EventError& e) {
    return invalid_payload(event, e.what());
  }
}

}  // namespace faultline::ingest
