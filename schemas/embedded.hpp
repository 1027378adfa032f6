#pragma once

#include <string_view>
#include <vector>

namespace faultline::schemas {

struct EmbeddedFile {
  std::string_view name;
  std::string_view text;
};

// The SQL migrations of schemas/db, ordered by file name.
const std::vector<EmbeddedFile>& migrations();

// The database functions in force, schemas/db/functions/*.sql ordered by file
// name: each applied with CREATE OR REPLACE after the migrations, on every start.
const std::vector<EmbeddedFile>& functions();

// schemas/openapi.yaml as JSON, served at GET /openapi.json.
std::string_view openapi_json();

// schemas/failure_rules.json: the rules that give a failure its category
// (processors/failure_rules.hpp).
std::string_view failure_rules_json();

// schemas/fix_prompt.v1.md: what a fix proposal's model is told to do, and
// never do (processors/fix/fix_prompt.hpp).
std::string_view fix_prompt();

}  // namespace faultline::schemas
