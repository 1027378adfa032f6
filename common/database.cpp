#include "common/database.hpp"

#include "common/log.hpp"

namespace faultline {

DatabaseSettings DatabaseSettings::from(const Environment& env, std::size_t default_pool_size) {
  DatabaseSettings settings;
  settings.url = env.text("FAULTLINE_DATABASE_URL", settings.url);
  if (settings.url.rfind("postgresql://", 0) != 0 && settings.url.rfind("postgres://", 0) != 0)
    throw ConfigError("FAULTLINE_DATABASE_URL: expected postgresql://user:pass@host:port/db");
  settings.pool_size = static_cast<std::size_t>(env.integer(
      "FAULTLINE_DATABASE_POOL_SIZE", static_cast<std::int64_t>(default_pool_size), 1, 256));
  return settings;
}

std::string with_utc_sessions(const std::string& url) {
  const char separator = url.find('?') == std::string::npos ? '?' : '&';
  // Notices would go to stderr as plain text, between our JSON log lines.
  return url + separator + "options=-c%20TimeZone%3DUTC%20-c%20client_min_messages%3Dwarning";
}

Database::Database(const DatabaseSettings& settings)
    : url_(with_utc_sessions(settings.url)), pool_(settings.pool_size) {
  for (std::size_t i = 0; i < settings.pool_size; ++i)
    pool_.at(i).open(soci::postgresql, url_);
}

void Database::ensure_connected(soci::session& session) {
  if (session.is_connected())
    return;
  log::warn("database connection lost; reconnecting");
  session.reconnect();
}

bool Database::ping() {
  try {
    return with_session([](soci::session& sql) {
      int one = 0;
      sql << "SELECT 1", soci::into(one);
      return one == 1;
    });
  } catch (const std::exception& e) {
    log::warn("database ping failed", {{"error", e.what()}});
    return false;
  }
}

}  // namespace faultline
