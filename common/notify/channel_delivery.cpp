#include "common/notify/channel_delivery.hpp"

#include <algorithm>
#include <ctime>

#include "common/http_exchange.hpp"
#include "common/notify/standard_webhooks.hpp"

namespace faultline::notify {
namespace {

// What may be kept of a receiver's answer: short, printable, one line.
std::string excerpt(const std::string& body) {
  std::string out;
  for (const char c : body) {
    if (out.size() >= 200)
      break;
    out += (c >= ' ' && c < 0x7f) ? c : ' ';
  }
  return out;
}

}  // namespace

std::vector<std::string> webhook_keys(std::string_view secrets) {
  std::vector<std::string> keys;
  for (std::size_t at = 0; at <= secrets.size();) {
    const auto comma = std::min(secrets.find(',', at), secrets.size());
    if (auto key = webhook_key(secrets.substr(at, comma - at)))
      keys.push_back(std::move(*key));
    at = comma + 1;
  }
  return keys;
}

Delivery deliver(const Channel& channel, const std::string& body, const std::string& webhook_id,
                 const OutboundPolicy& policy, std::chrono::milliseconds timeout) {
  http_exchange::Request request;
  request.method = "POST";
  request.timeout = timeout;
  request.body = body;
  request.headers = {"Content-Type: application/json", "User-Agent: faultline"};
  request.url = channel.kind == ChannelKind::kSlack ? channel.secret : channel.url;
  if (channel.kind == ChannelKind::kWebhook) {
    const auto now = static_cast<std::int64_t>(std::time(nullptr));
    request.headers.push_back("webhook-id: " + webhook_id);
    request.headers.push_back("webhook-timestamp: " + std::to_string(now));
    request.headers.push_back(
        "webhook-signature: " +
        webhook_signature(webhook_keys(channel.secret), webhook_id, now, request.body));
  }
  Delivery delivery;
  if (const auto refused = policy.refuse_url(request.url)) {
    delivery.judgement = {Verdict::kBlocked, std::nullopt};
    delivery.error = *refused;
    return delivery;
  }
  request.allow_address = [policy](const sockaddr& address) { return policy.allows(address); };

  const auto started = std::chrono::steady_clock::now();
  const auto response = http_exchange::perform(request);
  delivery.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  delivery.status = response.status;
  delivery.judgement = judge(channel.kind, response);
  if (!response.error.empty())
    delivery.error = response.error;
  else if (delivery.judgement.verdict != Verdict::kSent)
    delivery.error = "HTTP " + std::to_string(response.status) + ": " + excerpt(response.body);
  return delivery;
}

}  // namespace faultline::notify
