#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/pagination.hpp"
#include "common/github_client.hpp"
#include "common/json.hpp"
#include "common/secret_box.hpp"
#include "common/soci.hpp"

namespace faultline::api {

// Repositories: tracked as soon as a webhook names them, connected when a
// team says so. A token given here is stored sealed and never returned; the
// API shows only where a repository's token would come from.
class Repositories {
 public:
  Repositories(const SecretBox& secrets, bool default_token_configured)
      : secrets_(secrets), default_token_(default_token_configured) {}

  std::string list(soci::session& sql, const Page& page) const;
  std::optional<std::string> get(soci::session& sql, std::int64_t id) const;

  // POST: {full_name, token?, hook_id?, open_issues?, reconcile?}. A repository
  // no webhook has named yet is looked up on GitHub (with the token given, or
  // the default one) to learn its id. Returns the status (201 or 200) and document.
  std::pair<int, std::string> connect(soci::session& sql, const json::Value& body,
                                      github::Client* github,
                                      const std::string& default_token) const;
  // PATCH: any of token (null clears it), hook_id, open_issues, reconcile.
  std::optional<std::string> update(soci::session& sql, std::int64_t id,
                                    const json::Value& body) const;
  // DELETE: forgets the token and hook and stops treating it as connected;
  // its runs and incidents stay. False if unknown.
  bool disconnect(soci::session& sql, std::int64_t id) const;

 private:
  const SecretBox& secrets_;
  bool default_token_;
};

}  // namespace faultline::api
