// faultline-api: the REST API over Faultline's PostgreSQL state.

#include <iostream>
#include <string>

#include "api/api_server.hpp"
#include "common/github_client.hpp"
#include "common/http.hpp"
#include "common/log.hpp"
#include "common/migrations.hpp"
#include "common/secret_box.hpp"

namespace {

constexpr const char* kUsage = R"(usage: faultline-api [migrate]

  faultline-api           serves the REST API until SIGTERM
  faultline-api migrate   applies pending migrations from schemas/db/, then exits

Both apply migrations first, under a Postgres advisory lock.

Environment:
  FAULTLINE_DATABASE_URL        postgresql://user:pass@host:port/db
  FAULTLINE_API_ADDR            listen address (default 127.0.0.1:8080)
  FAULTLINE_API_THREADS         HTTP I/O threads (default 2)
  FAULTLINE_API_WORKERS         request workers and database connections (default 4)
  FAULTLINE_ENCRYPTION_KEY      seals repositories' tokens at rest (32 bytes, hex or base64)
  FAULTLINE_GITHUB_API_URL      looks up repositories connected before any webhook
  FAULTLINE_GITHUB_TOKEN        the token for repositories without their own
  FAULTLINE_LOG_LEVEL           debug, info, warn, error
)";

}  // namespace

int main(int argc, char** argv) {
  using namespace faultline;
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  if (!command.empty() && command != "migrate") {
    std::cerr << "faultline-api: unknown command '" << command << "'\n" << kUsage;
    return 2;
  }
  try {
    const Environment env;
    log::configure("api", log::parse_level(env.text("FAULTLINE_LOG_LEVEL", "info")));
    const auto settings = api::ApiSettings::from(env);

    if (command == "migrate") {
      auto one = settings.database;
      one.pool_size = 1;
      Database database(one);
      const auto applied = database.with_session(
          [](soci::session& sql) { return migrate(sql, schemas::migrations()); });
      log::info("migrations up to date", {{"applied", applied.size()}});
      return 0;
    }

    http::block_termination_signals();
    Database database(settings.database);
    database.with_session([](soci::session& sql) { migrate(sql, schemas::migrations()); });
    metrics::Registry registry;
    const auto secrets = SecretBox::from(env);
    github::Client github(github::ClientSettings::from(env));
    api::ApiServer server(settings, database, registry, secrets, github);
    server.start();
    log::info("listening",
              {{"host", settings.address.host}, {"port", static_cast<int>(server.port())}});
    const int signal = http::wait_for_termination();
    log::info("stopping", {{"signal", signal}});
    server.stop();
    return 0;
  } catch (const ConfigError& e) {
    std::cerr << "faultline-api: configuration error: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    log::error("api failed", {{"error", e.what()}});
    return 1;
  }
}
