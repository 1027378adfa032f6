#include "ingest/gitlab_token.hpp"

namespace faultline::ingest {
namespace {

std::string_view bytes(const crypto::Sha256Digest& digest) {
  return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

}  // namespace

GitLabTokenVerifier::GitLabTokenVerifier(const std::vector<std::string>& tokens) {
  for (const auto& token : tokens)
    digests_.push_back(crypto::sha256(token));
}

TokenCheck GitLabTokenVerifier::check(std::optional<std::string_view> header) const {
  if (!header || header->empty())
    return TokenCheck::kMissing;
  const auto presented = crypto::sha256(*header);
  bool matched = false;
  for (const auto& digest : digests_)
    matched = crypto::constant_time_equal(bytes(digest), bytes(presented)) || matched;
  return matched ? TokenCheck::kValid : TokenCheck::kMismatch;
}

}  // namespace faultline::ingest
