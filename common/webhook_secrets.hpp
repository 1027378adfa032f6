#pragma once

// The webhook secrets. FAULTLINE_WEBHOOK_SECRETS lists the master secrets
// (any one verifies, so they can be rotated). A hook Faultline creates on a
// repository gets that repository's own secret, derived from the first master
// and the repository id, so ingest verifies it with no database lookup and a
// leaked hook secret opens one repository, not all of them.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"

namespace faultline {

// FAULTLINE_WEBHOOK_SECRETS, or the development secret outside production.
std::vector<std::string> webhook_secrets(const Environment& env);

// hex(HMAC-SHA256(master, "faultline-repository-hook:" + id)).
std::string repository_webhook_secret(std::string_view master, std::int64_t repository_id);

}  // namespace faultline
