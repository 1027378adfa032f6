#include "common/migrations.hpp"

#include <libpq-fe.h>

#include <memory>
#include <set>
#include <stdexcept>

#include "common/log.hpp"

namespace faultline {
namespace {

// Any fixed number; it names Faultline's migration lock among advisory locks.
constexpr long long kMigrationLock = 0x6661756c746c696e;  // "faultlin"

class AdvisoryLock {
 public:
  explicit AdvisoryLock(soci::session& sql) : sql_(sql) {
    sql_ << "SELECT pg_advisory_lock(:k)", soci::use(kMigrationLock);
  }
  ~AdvisoryLock() {
    try {
      sql_ << "SELECT pg_advisory_unlock(:k)", soci::use(kMigrationLock);
    } catch (const std::exception& e) {
      // The server drops the lock with the connection anyway.
      log::warn("could not release the migration lock", {{"error", e.what()}});
    }
  }
  AdvisoryLock(const AdvisoryLock&) = delete;
  AdvisoryLock& operator=(const AdvisoryLock&) = delete;

 private:
  soci::session& sql_;
};

// Migration files are whole SQL scripts (several statements, $$-quoted
// bodies), which SOCI's placeholder parsing must not touch: run them as-is.
void execute_script(soci::session& sql, const std::string& script) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
  std::unique_ptr<PGresult, decltype(&PQclear)> result(PQexec(backend->conn_, script.c_str()),
                                                       &PQclear);
  const auto status = PQresultStatus(result.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK)
    throw std::runtime_error(PQresultErrorMessage(result.get()));
}

}  // namespace

std::vector<std::string> migrate(soci::session& sql,
                                 const std::vector<schemas::EmbeddedFile>& migrations,
                                 const std::vector<schemas::EmbeddedFile>& functions) {
  AdvisoryLock lock(sql);
  sql << "CREATE TABLE IF NOT EXISTS schema_migrations ("
         " name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())";

  std::set<std::string> applied;
  {
    soci::rowset<std::string> rows = (sql.prepare << "SELECT name FROM schema_migrations");
    for (const auto& name : rows)
      applied.insert(name);
  }

  std::vector<std::string> done;
  for (const auto& migration : migrations) {
    const std::string name(migration.name);
    if (applied.count(name))
      continue;
    soci::transaction tx(sql);
    execute_script(sql, std::string(migration.text));
    sql << "INSERT INTO schema_migrations (name) VALUES (:n)", soci::use(name);
    tx.commit();
    log::info("applied migration", {{"migration", name}});
    done.push_back(name);
  }

  // The functions in force, whatever the migrations defined before them.
  if (!functions.empty()) {
    soci::transaction tx(sql);
    for (const auto& file : functions)
      execute_script(sql, std::string(file.text));
    tx.commit();
  }
  return done;
}

}  // namespace faultline
