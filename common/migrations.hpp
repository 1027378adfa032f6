#pragma once

#include <string>
#include <vector>

#include "common/soci.hpp"
#include "schemas/embedded.hpp"

namespace faultline {

// Applies the migrations not yet recorded in schema_migrations, each in its own
// transaction, in name order. A Postgres advisory lock makes concurrent
// starters wait for one another. Returns the names it applied.
std::vector<std::string> migrate(soci::session& sql,
                                 const std::vector<schemas::EmbeddedFile>& migrations);

}  // namespace faultline
