#include "ingest/webhook.hpp"

#include <charconv>

#include "common/events.hpp"
#include "ingest/normalize.hpp"

namespace faultline::ingest {
namespace {

http::Reply unauthorized(const char* detail) {
  return http::problem_reply(Problem{401, "Unauthorized", detail, "invalid-signature", {}});
}

bool valid_delivery_id(std::string_view id) {
  if (id.empty() || id.size() > 128)
    return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e)
      return false;
  return true;
}

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
    return http::problem_reply(
        Problem{413,
                "Payload Too Large",
                "The body is larger than " + std::to_string(max_body_bytes) + " bytes.",
                "payload-too-large",
                {}});

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
    return http::problem_reply(
        bad_request("The X-GitHub-Event header is missing.", "missing-header"));
  if (!request.delivery_id || !valid_delivery_id(*request.delivery_id))
    return http::problem_reply(
        bad_request("The X-GitHub-Delivery header is missing or malformed.", "missing-header"));

  const std::string event(*request.event);
  if (event == "ping")
    return http::json_reply(200, R"({"ok":true})");
  if (event != "workflow_run" && event != "workflow_job")
    return http::json_reply(202, R"({"ignored":true})");

  json::Document payload;
  try {
    payload = json::parse(request.body);
  } catch (const json::ParseError& e) {
    return http::problem_reply(
        bad_request(std::string("The body is not JSON: ") + e.what() + ".", "invalid-json"));
  }
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
    return http::problem_reply(bad_request(
        std::string("The payload is not a valid ") + event + " event: " + e.what() + ".",
        "invalid-payload"));
  }
}

}  // namespace faultline::ingest
