#pragma once

// Which token Faultline uses for GitHub calls about a repository: the
// repository's own, else the one of the GitHub connection it was connected
// through, else FAULTLINE_GITHUB_TOKEN. The rule itself is the
// `repository_tokens` view; this opens what it finds.

#include <cstdint>
#include <optional>
#include <string>

#include "common/secret_box.hpp"
#include "common/soci.hpp"

namespace faultline {

struct RepositoryToken {
  std::string token;
  std::string source;  // "repository", "connection" or "default"
};

class RepositoryTokens {
 public:
  RepositoryTokens(const SecretBox& secrets, std::string fallback)
      : secrets_(secrets), fallback_(std::move(fallback)) {}

  std::optional<RepositoryToken> find(soci::session& sql, std::int64_t repository_id) const;

  // The token of a sealed text from the view (empty: none), or the fallback.
  std::optional<RepositoryToken> open(const std::string& sealed, const std::string& source,
                                      const std::string& repository) const;

  bool has_fallback() const { return !fallback_.empty(); }

 private:
  const SecretBox& secrets_;
  std::string fallback_;
};

}  // namespace faultline
