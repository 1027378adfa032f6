// The database functions in force are those of schemas/db/functions/: a
// database built by the migrations alone (as one deployed before that folder
// existed) and one migrated today end with the same function text.

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include "common/database.hpp"
#include "common/migrations.hpp"
#include "schemas/embedded.hpp"
#include "tests/support/environment.hpp"

namespace faultline::testing {
namespace {

// The names of the functions the files define.
std::set<std::string> defined_functions() {
  std::set<std::string> names;
  const std::regex create(R"(CREATE OR REPLACE FUNCTION (\w+))", std::regex::icase);
  for (const auto& file : schemas::functions()) {
    const std::string text(file.text);
    for (std::sregex_iterator i(text.begin(), text.end(), create), end; i != end; ++i)
      names.insert((*i)[1].str());
  }
  return names;
}

// What PostgreSQL holds for `name` in `schema`: signature, language and body.
std::string definition(soci::session& sql, const std::string& schema, const std::string& name) {
  std::string text;
  soci::indicator ind = soci::i_ok;
  sql << "SELECT string_agg(pg_get_function_identity_arguments(p.oid) || ' -> ' ||"
         " pg_get_function_result(p.oid) || ' ' || l.lanname::text || ' ' || p.provolatile::text "
         "|| E'\\n' ||"
         " p.prosrc, E'\\n---\\n' ORDER BY p.oid)"
         " FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
         " JOIN pg_language l ON l.oid = p.prolang WHERE n.nspname = :s AND p.proname = :n",
      soci::use(schema, "s"), soci::use(name, "n"), soci::into(text, ind);
  return ind == soci::i_null ? "" : text;
}

TEST(SchemaFunctions, TheFilesDefineTheIncidentRules) {
  const auto names = defined_functions();
  EXPECT_TRUE(names.count("faultline_apply_completed_runs"));
  EXPECT_TRUE(names.count("faultline_enqueue_incident_event"));
}

TEST(SchemaFunctions, UpgradedAndFreshDatabasesHoldTheFilesText) {
  TestDatabase database;  // migrated as on every start: migrations, then the files
  soci::session sql(soci::postgresql, with_utc_sessions(database.url()));

  // The same migrations into a schema of their own, without the files: what a
  // database deployed before schemas/db/functions/ holds.
  sql << "CREATE SCHEMA history";
  sql << "SET search_path = history";
  migrate(sql, schemas::migrations(), {});
  sql << "SET search_path = public";

  for (const auto& name : defined_functions())
    ASSERT_FALSE(definition(sql, "public", name).empty()) << name;

  // Upgrading that database (the files applied on its next start) leaves it
  // with the files' rules, whatever the migrations defined before them.
  sql << "SET search_path = history";
  migrate(sql, schemas::migrations());
  sql << "SET search_path = public";
  // A function of a table's row type names that type with its schema, in
  // the signature (its first line).
  const auto unqualified = [](std::string text) {
    for (auto at = text.find("history."); at < text.find('\n'); at = text.find("history."))
      text.erase(at, 8);
    return text;
  };
  for (const auto& name : defined_functions())
    EXPECT_EQ(unqualified(definition(sql, "history", name)), definition(sql, "public", name))
        << name;
}

}  // namespace
}  // namespace faultline::testing
