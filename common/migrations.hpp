#pragma once

#include <string>
#include <vector>

#include "common/soci.hpp"
#include "schemas/embedded.hpp"

namespace faultline {

// Applies the migrations not yet recorded in schema_migrations, each in its own
// transaction, in name order, then every file of `functions` (CREATE OR
// REPLACE, on every call, in one transaction), so a fresh database and an
// upgraded one end with the same function text. A Postgres advisory lock makes
// concurrent starters wait for one another. Returns the migrations it applied.
std::vector<std::string> migrate(
    soci::session& sql, const std::vector<schemas::EmbeddedFile>& migrations,
    const std::vector<schemas::EmbeddedFile>& functions = schemas::functions());

}  // namespace faultline
