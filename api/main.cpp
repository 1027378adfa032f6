// faultline-api: the REST API over Faultline's PostgreSQL state.

#include <iostream>
#include <optional>
#include <string>

#include "api/api_server.hpp"
#include "api/audit/audit_log.hpp"
#include "api/auth/accounts.hpp"
#include "api/reseal.hpp"
#include "common/github_call_log.hpp"
#include "common/github_client.hpp"
#include "common/http.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/migrations.hpp"
#include "common/secret_box.hpp"
#include "common/time.hpp"

namespace {

constexpr const char* kUsage =
    R"(usage: faultline-api [migrate | reseal | audit verify | audit prune [--before T]
                     | create-user --email E --role admin|user --password-stdin]

  faultline-api               serves the REST API until SIGTERM
  faultline-api migrate       applies pending migrations from schemas/db/, then exits
  faultline-api reseal        seals every stored token again under the first key of
                              FAULTLINE_ENCRYPTION_KEY (after a key rotation), then exits
  faultline-api audit verify  walks the audit log's hash chain: exit 0 with the number of
                              rows checked, or 1 naming the first row that breaks it
  faultline-api audit prune   deletes audit rows older than FAULTLINE_AUDIT_RETENTION_DAYS
                              (or --before, RFC 3339) once they verify, keeping the chain
                              verifiable (the API also does this on its cleanup interval)
  faultline-api create-user   creates an account (the first admin) with the password
                              read from the first line of stdin, then exits

All apply migrations first, under a Postgres advisory lock.

Environment:
  FAULTLINE_DATABASE_URL        postgresql://user:pass@host:port/db
  FAULTLINE_API_ADDR            listen address (default 127.0.0.1:8080)
  FAULTLINE_API_THREADS         HTTP I/O threads (default 2)
  FAULTLINE_API_WORKERS         request workers and database connections (default 4)
  FAULTLINE_JWT_SECRET          signs access tokens (at least 32 bytes; required in production)
  FAULTLINE_CORS_ORIGINS        origins allowed to call the API from a browser, comma-separated
  FAULTLINE_AUTH_*_LIMIT        rate limits, e.g. FAULTLINE_AUTH_LOGIN_LIMIT=20/1m (see README)
  FAULTLINE_ENCRYPTION_KEY      seals tokens at rest (32 bytes, hex or base64; a comma-separated
                                list while rotating: the first seals, all open)
  FAULTLINE_GITHUB_API_URL      GitHub's REST API (default https://api.github.com)
  FAULTLINE_GITHUB_WEB_URL      GitHub's web host for OAuth (default https://github.com)
  FAULTLINE_GITHUB_OAUTH_CLIENT_ID, FAULTLINE_GITHUB_OAUTH_CLIENT_SECRET
                                the OAuth App users connect GitHub through
  FAULTLINE_GITHUB_OAUTH_REDIRECT_URL
                                the dashboard page GitHub sends the browser back to
  FAULTLINE_GITHUB_OAUTH_SCOPES default "repo admin:repo_hook"
  FAULTLINE_PUBLIC_URL          where GitHub reaches this deployment (webhooks it creates)
  FAULTLINE_WEBHOOK_SECRETS     master secrets; a created hook's secret derives from the first
  FAULTLINE_GITHUB_TOKEN        the token for repositories without their own
  FAULTLINE_AUDIT_RETENTION_DAYS
                                audit rows are kept this many days (default 365)
  FAULTLINE_NOTIFY_ALLOW_HTTP, FAULTLINE_NOTIFY_ALLOW_PRIVATE
                                1: notification channels may use http:// and private addresses (tests)
  FAULTLINE_LOG_LEVEL           debug, info, warn, error
)";

// create-user's flags; nullopt (after saying why) when they are wrong.
struct NewUser {
  std::string email, role;
};

std::optional<NewUser> parse_create_user(int argc, char** argv) {
  NewUser user;
  bool password_stdin = false;
  for (int i = 2; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--password-stdin") {
      password_stdin = true;
    } else if ((flag == "--email" || flag == "--role") && i + 1 < argc) {
      (flag == "--email" ? user.email : user.role) = argv[++i];
    } else {
      std::cerr << "faultline-api create-user: unexpected argument '" << flag << "'\n";
      return std::nullopt;
    }
  }
  if (user.email.empty() || user.role.empty() || !password_stdin) {
    std::cerr << "faultline-api create-user: --email, --role and --password-stdin are required\n";
    return std::nullopt;
  }
  return user;
}

int create_user(const faultline::api::ApiSettings& settings, const NewUser& wanted) {
  using namespace faultline;
  const auto email = api::auth::normalize_email(wanted.email);
  if (!email || !api::auth::valid_role(wanted.role)) {
    std::cerr << "faultline-api create-user: "
              << (email ? "role must be admin or user" : "email is not a valid address") << "\n";
    return 2;
  }
  std::string password;
  std::getline(std::cin, password);
  if (!password.empty() && password.back() == '\r')
    password.pop_back();
  if (const auto problem = api::auth::password_problem(password)) {
    std::cerr << "faultline-api create-user: " << *problem << "\n";
    return 2;
  }
  auto one = settings.database;
  one.pool_size = 1;
  Database database(one);
  try {
    const auto user = database.with_session([&](soci::session& sql) {
      migrate(sql, schemas::migrations());
      soci::transaction tx(sql);
      auto created = api::auth::create_user(sql, api::auth::PasswordHasher(settings.auth.argon2),
                                            *email, password, wanted.role);
      api::audit::AuditLog().append(
          sql, api::audit::system_context(),
          api::audit::Event{api::audit::Action::kUserCreated, "user:" + std::to_string(created.id),
                            api::audit::Outcome::kSuccess,
                            "faultline-api create-user; role " + wanted.role});
      tx.commit();
      return created;
    });
    std::cout << json::object([&](json::Writer& out) { api::auth::write_user_fields(out, user); })
              << "\n";
    return 0;
  } catch (const api::auth::DuplicateEmail&) {
    std::cerr << "faultline-api create-user: an account with this email already exists\n";
    return 1;
  }
}

// `faultline-api audit verify|prune [--before T]`.
int audit_command(const faultline::api::ApiSettings& settings, int argc, char** argv) {
  using namespace faultline;
  const std::string what = argc > 2 ? argv[2] : "";
  std::string before;
  if (what == "prune" && argc == 5 && std::string(argv[3]) == "--before") {
    before = argv[4];
    if (!is_rfc3339(before)) {
      std::cerr << "faultline-api audit prune: --before must be an RFC 3339 date-time\n";
      return 2;
    }
  } else if ((what != "verify" && what != "prune") || argc != 3) {
    std::cerr << "faultline-api audit: expected 'verify' or 'prune [--before T]'\n";
    return 2;
  }
  auto one = settings.database;
  one.pool_size = 1;
  Database database(one);
  return database.with_session([&](soci::session& sql) {
    migrate(sql, schemas::migrations());
    if (what == "verify") {
      const auto result = api::audit::verify_chain(sql);
      if (result.broken) {
        std::cerr << "audit log broken at row " << result.broken->id << ": "
                  << result.broken->problem << " (" << result.checked
                  << " rows before it verified)\n";
        return 1;
      }
      std::cout << "audit log verified: " << result.checked << " rows";
      if (result.checked > 0)
        std::cout << " (" << result.first_id << " to " << result.last_id << ")";
      std::cout << "\n";
      return 0;
    }
    if (before.empty())
      before = api::audit::retention_cutoff(sql, settings.audit_retention_days);
    const auto pruning = api::audit::prune_chain(sql, api::audit::AuditLog(), before);
    if (pruning.refused) {
      std::cerr << "audit log not pruned: row " << pruning.refused->id << ": "
                << pruning.refused->problem << "\n";
      return 1;
    }
    std::cout << "audit log pruned: " << pruning.pruned << " rows older than " << before << "\n";
    return 0;
  });
}

}  // namespace

int main(int argc, char** argv) {
  using namespace faultline;
  const std::string command = argc > 1 ? argv[1] : "";
  if (command == "--help" || command == "-h") {
    std::cout << kUsage;
    return 0;
  }
  if (!command.empty() && command != "migrate" && command != "reseal" && command != "audit" &&
      command != "create-user") {
    std::cerr << "faultline-api: unknown command '" << command << "'\n" << kUsage;
    return 2;
  }
  try {
    const Environment env;
    log::configure("api", log::parse_level(env.text("FAULTLINE_LOG_LEVEL", "info")));
    const auto settings = api::ApiSettings::from(env);

    if (command == "create-user") {
      const auto wanted = parse_create_user(argc, argv);
      return wanted ? create_user(settings, *wanted) : 2;
    }

    if (command == "audit")
      return audit_command(settings, argc, argv);

    if (command == "migrate") {
      auto one = settings.database;
      one.pool_size = 1;
      Database database(one);
      const auto applied = database.with_session(
          [](soci::session& sql) { return migrate(sql, schemas::migrations()); });
      log::info("migrations up to date", {{"applied", applied.size()}});
      return 0;
    }

    if (command == "reseal") {
      auto one = settings.database;
      one.pool_size = 1;
      Database database(one);
      const auto secrets = SecretBox::from(env);
      const api::audit::AuditLog audit;
      const auto resealed = database.with_session([&](soci::session& sql) {
        migrate(sql, schemas::migrations());
        try {
          return api::reseal_secrets(sql, secrets, audit);
        } catch (const std::runtime_error& e) {
          // Nothing was resealed; the attempt is still on record.
          soci::transaction tx(sql);
          audit.append(sql, api::audit::system_context(),
                       api::audit::Event{api::audit::Action::kAdminTokenReseal, "tokens",
                                         api::audit::Outcome::kFailure, e.what()});
          tx.commit();
          throw;
        }
      });
      log::info("tokens resealed", {{"resealed", resealed}, {"key_id", secrets.sealing_key_id()}});
      return 0;
    }

    http::block_termination_signals();
    Database database(settings.database);
    database.with_session([](soci::session& sql) { migrate(sql, schemas::migrations()); });
    metrics::Registry registry;
    const auto secrets = SecretBox::from(env);
    github::CallLog github_calls(database, &registry);
    github::Client github(github::ClientSettings::from(env), &github_calls);
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
