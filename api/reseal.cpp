#include "api/reseal.hpp"

#include <stdexcept>
#include <vector>

namespace faultline::api {
namespace {

struct Table {
  const char* select;
  const char* update;
};

// Each row is identified by its current ciphertext, which is unique enough
// (a random nonce each) and keeps one statement per table.
constexpr Table kTables[] = {
    {"SELECT token_ciphertext FROM repositories WHERE token_ciphertext IS NOT NULL FOR UPDATE",
     "UPDATE repositories SET token_ciphertext = :new WHERE token_ciphertext = :old"},
    {"SELECT token_ciphertext FROM oauth_connections FOR UPDATE",
     "UPDATE oauth_connections SET token_ciphertext = :new, updated_at = now()"
     " WHERE token_ciphertext = :old"},
    {"SELECT secret_ciphertext FROM two_factor FOR UPDATE",
     "UPDATE two_factor SET secret_ciphertext = :new WHERE secret_ciphertext = :old"},
    {"SELECT secret_ciphertext FROM notification_channels FOR UPDATE",
     "UPDATE notification_channels SET secret_ciphertext = :new WHERE secret_ciphertext = :old"},
};

}  // namespace

std::size_t reseal_secrets(soci::session& sql, const SecretBox& secrets,
                           const audit::AuditLog& audit) {
  soci::transaction tx(sql);
  std::size_t resealed = 0;
  for (const auto& table : kTables) {
    std::vector<std::string> sealed;
    soci::rowset<std::string> rows = sql.prepare << table.select;
    for (const auto& text : rows)
      if (SecretBox::key_id_of(text) != secrets.sealing_key_id())
        sealed.push_back(text);
    for (const auto& old_text : sealed) {
      const auto plain = secrets.open(old_text);
      if (!plain)
        throw std::runtime_error(
            "a stored token opens with none of FAULTLINE_ENCRYPTION_KEY's keys"
            " (key id '" +
            SecretBox::key_id_of(old_text) + "'); nothing was changed");
      const auto new_text = secrets.seal(*plain);
      sql << table.update, soci::use(new_text, "new"), soci::use(old_text, "old");
      ++resealed;
    }
  }
  audit.append(
      sql, audit::system_context(),
      audit::Event{audit::Action::kAdminTokenReseal, "tokens", audit::Outcome::kSuccess,
                   std::to_string(resealed) + " resealed under key " + secrets.sealing_key_id()});
  tx.commit();
  return resealed;
}

}  // namespace faultline::api
