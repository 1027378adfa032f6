#pragma once

#include <cstddef>

#include "api/audit/audit_log.hpp"
#include "common/secret_box.hpp"
#include "common/soci.hpp"

namespace faultline::api {

// `faultline-api reseal`: every token stored at rest (repositories' own,
// GitHub connections') that names another key than the sealing one is opened
// and sealed again, so the old key can leave FAULTLINE_ENCRYPTION_KEY, with
// an admin_token_reseal row in the same transaction. Returns how many were
// resealed; throws if one cannot be opened with any key (nothing changed).
std::size_t reseal_secrets(soci::session& sql, const SecretBox& secrets,
                           const audit::AuditLog& audit);

}  // namespace faultline::api
