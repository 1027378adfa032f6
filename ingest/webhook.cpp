#include "ingest/webhook.hpp"

#include <charconv>

#include "common/events.hpp"
#include "ingest/normalize.hpp"
#include "ingest/webhook_rules.hpp"

namespace faultline::ingest {
namespace {

std::optional<std::int64_t> positive_id(std::optional<std::string_view> raw) {
  if (!raw)
    return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(raw->data(), raw->data() + raw->size(), value);
  if (ec != std::errc{} || end != raw->data() + raw->size() || value <= 0)
    return std::nullopt;
  return value;
}

}  // namespace

WebhookOutcome handle_webhook(const WebhookRequest& request, const SignatureVerifier& verifier,
                              std::size_t max_body_bytes) {
  if (request.body.size() > max_body_bytes)
    return payload_too_large(max_body_bytes);

  // Only a repository hook can be signed with a repository's own secret.
  const auto hook_repository = request.hook_target_type == std::string_view("repository")
                                   ? positive_id(request.hook_target_id)
                                   : std::nullopt;
  const auto signature = verifier.check(request.body, request.signature, hook_repository);
  switch (signature.check) {
    case SignatureCheck::kValid:
      break;
    case SignatureCheck::kMissing:
      return unauthorized("The X-Hub-Signature-256 header is missing.");
    case SignatureCheck::kMalformed:
      return unauthorized("The X-Hub-Signature-256 header is not sha256=<64 hex digits>.");
    case SignatureCheck::kMismatch:
      return unauthorized("The signature does not match the body.");
  }

  if (!request.event || request.event->empty())
    return missing_header("The X-GitHub-Event header is missing.");
  if (!request.delivery_id || !valid_delivery_id(*request.delivery_id))
    return missing_header("The X-GitHub-Delivery header is missing or malformed.");

  const std::string event(*request.event);
  if (event == "ping")
    return http::json_reply(200, R"({"ok":true})");
  if (event != "workflow_run" && event != "workflow_job" && event != "pull_request")
    return http::json_reply(202, R"({"ignored":true})");

  auto parsed = parse_body(request.body);
  if (auto* refused = std::get_if<http::Reply>(&parsed))
    return std::move(*refused);
  const auto& payload = std::get<json::Document>(parsed);
  if (signature.repository_id) {
    const auto* repository = json::object_member(payload, "repository");
    if (!repository || json::integer_member(*repository, "id") != signature.repository_id)
      return unauthorized("The body is about another repository than the hook's secret.");
  }
  try {
    return normalize(Delivery{event, std::string(*request.delivery_id),
                              positive_id(request.hook_id), request.received_at},
                     payload);
  } catch (const events::EventError& e) {
    return invalid_payload(event, e.what());
  }
}

}  // namespace faultline::ingest
