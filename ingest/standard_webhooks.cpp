#include "ingest/standard_webhooks.hpp"

#include <charconv>

#include "common/base64.hpp"
#include "common/crypto.hpp"

namespace faultline::ingest {
namespace {

constexpr std::string_view kSecretPrefix = "whsec_";
constexpr std::string_view kVersion = "v1,";
// A sender lists one signature per secret it signs with; more than this is not
// a rotation but work pushed onto us.
constexpr std::size_t kMaxSignatures = 16;

std::string signed_content(std::string_view id, std::string_view timestamp, std::string_view body) {
  std::string content;
  content.reserve(id.size() + timestamp.size() + body.size() + 2);
  content.append(id).append(".").append(timestamp).append(".").append(body);
  return content;
}

std::optional<std::int64_t> parse_epoch_seconds(std::string_view text) {
  if (text.empty() || text.size() > 12)
    return std::nullopt;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0)
    return std::nullopt;
  return value;
}

// The decoded v1 signatures of the header (other versions are skipped, as the
// specification asks); nullopt when there are too many entries.
std::optional<std::vector<std::string>> v1_signatures(std::string_view header) {
  std::vector<std::string> out;
  std::size_t entries = 0;
  while (!header.empty()) {
    const auto space = header.find(' ');
    const auto entry = header.substr(0, space);
    header = space == std::string_view::npos ? std::string_view{} : header.substr(space + 1);
    if (entry.empty())
      continue;
    if (++entries > kMaxSignatures)
      return std::nullopt;
    if (entry.substr(0, kVersion.size()) != kVersion)
      continue;
    if (auto bytes = base64_decode(entry.substr(kVersion.size())); bytes && bytes->size() == 32)
      out.push_back(std::move(*bytes));
  }
  return out;
}

}  // namespace

std::optional<std::string> standard_webhook_key(std::string_view secret) {
  if (secret.substr(0, kSecretPrefix.size()) != kSecretPrefix)
    return std::nullopt;
  auto key = base64_decode(secret.substr(kSecretPrefix.size()));
  if (!key || key->empty())
    return std::nullopt;
  return key;
}

StandardWebhookVerifier::StandardWebhookVerifier(std::vector<std::string> keys,
                                                 std::chrono::seconds tolerance)
    : keys_(std::move(keys)), tolerance_(tolerance) {}

std::string StandardWebhookVerifier::sign(std::string_view key, std::string_view id,
                                          std::int64_t timestamp, std::string_view body) {
  const auto mac = crypto::hmac_sha256(key, signed_content(id, std::to_string(timestamp), body));
  return std::string(kVersion) +
         base64_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

StandardSignatureCheck StandardWebhookVerifier::check(const StandardSignatureHeaders& headers,
                                                      std::string_view body,
                                                      std::int64_t now) const {
  const auto given = [](const std::optional<std::string_view>& h) { return h && !h->empty(); };
  const int present = given(headers.id) + given(headers.timestamp) + given(headers.signature);
  if (present == 0)
    return StandardSignatureCheck::kAbsent;
  if (present < 3)
    return StandardSignatureCheck::kIncomplete;
  const auto timestamp = parse_epoch_seconds(*headers.timestamp);
  const auto presented = v1_signatures(*headers.signature);
  if (!timestamp || !presented || presented->empty())
    return StandardSignatureCheck::kMalformed;
  // Both ways: a clock ahead of ours is as suspect as an old replay.
  const auto distance = *timestamp > now ? *timestamp - now : now - *timestamp;
  if (distance > tolerance_.count())
    return StandardSignatureCheck::kStale;
  const auto content = signed_content(*headers.id, *headers.timestamp, body);
  // Every key against every signature, whatever matched, so timing says nothing.
  bool matched = false;
  for (const auto& key : keys_) {
    const auto mac = crypto::hmac_sha256(key, content);
    const std::string_view expected(reinterpret_cast<const char*>(mac.data()), mac.size());
    for (const auto& signature : *presented)
      matched = crypto::constant_time_equal(expected, signature) || matched;
  }
  return matched ? StandardSignatureCheck::kValid : StandardSignatureCheck::kMismatch;
}

}  // namespace faultline::ingest
