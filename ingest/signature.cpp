#include "ingest/signature.hpp"

#include <cctype>

#include "common/crypto.hpp"
#include "common/webhook_secrets.hpp"

namespace faultline::ingest {
namespace {

constexpr std::string_view kScheme = "sha256=";
constexpr std::size_t kHexLength = 64;

}  // namespace

SignatureVerifier::SignatureVerifier(std::vector<std::string> secrets)
    : secrets_(std::move(secrets)) {}

std::string SignatureVerifier::sign(std::string_view secret, std::string_view body) {
  return std::string(kScheme) + crypto::to_hex(crypto::hmac_sha256(secret, body));
}

SignatureResult SignatureVerifier::check(std::string_view body,
                                         std::optional<std::string_view> header,
                                         std::optional<std::int64_t> hook_repository) const {
  if (!header || header->empty())
    return {SignatureCheck::kMissing, {}};
  if (header->substr(0, kScheme.size()) != kScheme || header->size() != kScheme.size() + kHexLength)
    return {SignatureCheck::kMalformed, {}};
  std::string presented(header->substr(kScheme.size()));
  for (char& c : presented) {
    if (!std::isxdigit(static_cast<unsigned char>(c)))
      return {SignatureCheck::kMalformed, {}};
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  // Every secret is tried, whatever matched, so timing says nothing about which.
  bool master = false, repository = false;
  for (const auto& secret : secrets_) {
    master =
        crypto::constant_time_equal(sign(secret, body).substr(kScheme.size()), presented) || master;
    if (hook_repository)
      repository = crypto::constant_time_equal(
                       sign(repository_webhook_secret(secret, *hook_repository), body)
                           .substr(kScheme.size()),
                       presented) ||
                   repository;
  }
  if (master)
    return {SignatureCheck::kValid, {}};
  if (repository)
    return {SignatureCheck::kValid, hook_repository};
  return {SignatureCheck::kMismatch, {}};
}

}  // namespace faultline::ingest
