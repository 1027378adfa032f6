#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/audit/audit_log.hpp"
#include "api/pagination.hpp"
#include "common/database.hpp"
#include "common/github_client.hpp"
#include "common/json.hpp"
#include "common/secret_box.hpp"
#include "common/soci.hpp"

namespace faultline::api {

struct Connected {
  int status = 200;  // 201 when newly connected
  std::string document;
  std::int64_t id = 0;
  std::string full_name;  // as GitHub spells it
};

struct ManagedHook {
  std::string full_name;
  long long hook_id = 0;
};

// Repositories: tracked as soon as a webhook names them, connected when a
// team says so. A token given here is stored sealed and never returned; the
// API shows only where a repository's token would come from. Every change
// is an audit row, written in the change's transaction, on behalf of `who`.
class Repositories {
 public:
  Repositories(const SecretBox& secrets, bool default_token_configured,
               const audit::AuditLog& audit)
      : secrets_(secrets), default_token_(default_token_configured), audit_(audit) {}

  std::string list(soci::session& sql, const Page& page) const;
  std::optional<std::string> get(soci::session& sql, std::int64_t id) const;

  // POST: {full_name, token?, hook_id?, open_issues?, reconcile?, fix_proposals?}. A repository
  // no webhook has named yet is looked up on GitHub (with the token given, or
  // `lookup_token`) to learn its id, with no database connection held while
  // GitHub answers. With `token_user_id`, the repository takes that user's
  // GitHub connection's token.
  Connected connect(Database& database, const json::Value& body, github::Client* github,
                    const std::string& lookup_token, std::optional<std::int64_t> token_user_id,
                    const audit::Context& who) const;
  // The hook Faultline created for it.
  void record_hook(soci::session& sql, std::int64_t id, std::int64_t hook_id,
                   const audit::Context& who) const;
  // The hook to delete on disconnect: only one Faultline created.
  std::optional<ManagedHook> managed_hook(soci::session& sql, std::int64_t id) const;
  // PATCH: any of token (null clears it), hook_id, open_issues, reconcile,
  // fix_proposals (off, on_demand, automatic).
  std::optional<std::string> update(soci::session& sql, std::int64_t id, const json::Value& body,
                                    const audit::Context& who) const;
  // DELETE: forgets the token and hook and stops treating it as connected
  // (the caller deletes a managed hook at GitHub first);
  // its runs and incidents stay. False if unknown. `hook` says what became of
  // its webhook, for the audit row.
  bool disconnect(soci::session& sql, std::int64_t id, const std::string& hook,
                  const audit::Context& who) const;

 private:
  const SecretBox& secrets_;
  bool default_token_;
  const audit::AuditLog& audit_;
};

}  // namespace faultline::api
