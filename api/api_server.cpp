#include "api/api_server.hpp"

#include "api/auth/two_factor_store.hpp"

#include "api/analytics.hpp"
#include "api/conditional.hpp"
#include "api/dashboard_files.hpp"
#include "api/incidents.hpp"
#include "api/json_body.hpp"
#include "api/lookup.hpp"
#include "api/pagination.hpp"
#include "api/route_table.hpp"
#include "api/workflow_runs.hpp"
#include "common/http.hpp"
#include "common/log.hpp"
#include "common/status.hpp"
#include "schemas/embedded.hpp"

namespace faultline::api {

namespace {

// README: a body over 1 MiB is 413.
constexpr std::size_t kMaxBodyBytes = 1024 * 1024;

// Pistache's router behind http::Handler's limits (Router::handler() would
// hand out Pistache's own handler).
class ApiHandler : public http::Handler {
 public:
  HTTP_PROTOTYPE(ApiHandler)

  explicit ApiHandler(const Pistache::Rest::Router& router)
      : http::Handler(kMaxBodyBytes), router_(std::make_shared<Pistache::Rest::Router>(router)) {}

  void onRequest(const Pistache::Http::Request& request,
                 Pistache::Http::ResponseWriter response) override {
    router_->route(request, std::move(response));
  }

  void onDisconnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override {
    router_->disconnectPeer(peer);
  }

 private:
  std::shared_ptr<Pistache::Rest::Router> router_;
};

}  // namespace

ApiSettings ApiSettings::from(const Environment& env) {
  ApiSettings s;
  s.address = env.address("FAULTLINE_API_ADDR", "127.0.0.1:8080");
  s.io_threads = static_cast<int>(env.integer("FAULTLINE_API_THREADS", s.io_threads, 1, 64));
  s.workers = static_cast<std::size_t>(env.integer("FAULTLINE_API_WORKERS", 4, 1, 256));
  s.database = DatabaseSettings::from(env, s.workers);
  s.github = GitHubSettings::from(env);
  s.auth = auth::AuthSettings::from(env);
  s.cors_origins = env.list("FAULTLINE_CORS_ORIGINS");
  s.cleanup_interval = env.duration("FAULTLINE_API_CLEANUP_INTERVAL", s.cleanup_interval);
  s.total_cache = env.duration("FAULTLINE_API_TOTAL_CACHE", s.total_cache);
  s.audit_retention_days =
      env.integer("FAULTLINE_AUDIT_RETENTION_DAYS", s.audit_retention_days, 1, 36500);
  s.analytics_cache = env.integer("FAULTLINE_API_ANALYTICS_CACHE", 1, 0, 1) == 1;
  s.analytics_refresh = env.duration("FAULTLINE_API_ANALYTICS_REFRESH", s.analytics_refresh);
  s.notify_policy = OutboundPolicy::from(env);
  s.fix_proposals_enabled = !env.text("FAULTLINE_FIX_MODEL_URL", "").empty();
  return s;
}

ApiServer::ApiServer(const ApiSettings& settings, Database& database, metrics::Registry& registry,
                     const SecretBox& secrets, github::Client& github)
    : settings_(settings),
      database_(database),
      registry_(registry),
      audit_(&registry),
      repositories_(secrets, !settings_.github.default_token.empty(), audit_),
      notification_channels_(secrets, settings_.notify_policy, audit_),
      notification_rules_(audit_),
      github_(github),
      tokens_(secrets, settings_.github.default_token),
      oauth_(settings_.github, secrets, github, database, audit_),
      hooks_(settings_.github, github),
      auth_(settings.auth, database, registry, audit_, secrets),
      idempotency_(database, registry),
      run_totals_(settings.total_cache),
      analytics_changes_(
          settings.analytics_cache ? std::make_unique<ChangeFeed>(settings.database.url) : nullptr),
      analytics_cache_(
          [this]() -> std::optional<std::uint64_t> {
            if (!analytics_changes_ || !analytics_changes_->listening())
              return std::nullopt;
            return analytics_changes_->generation();
          },
          settings.analytics_refresh, registry),
      workers_(settings.workers, 1024),
      dashboard_(dashboard_files()),
      routes_(router_, workers_, registry_, auth_.authenticator(), idempotency_, audit_, database_,
              settings.cors_origins),
      endpoint_(Pistache::Address(settings.address.host, Pistache::Port(settings.address.port))) {
  declare_routes();
}

ApiServer::~ApiServer() {
  stop();
}

void ApiServer::declare_routes() {
  auto& routes = routes_;

  // Ready while the database answers.
  const status::Checks ready_checks{[this]() -> std::optional<Problem> {
    if (database_.ping())
      return std::nullopt;
    return status::unavailable("The database is not reachable.");
  }};
  for (const char* path : {"/health", "/ready", "/metrics"})
    routes.get(path, Access::kPublic, [this, path, ready_checks](const ApiRequest&) {
      return *status::answer(path, ready_checks, registry_);
    });

  routes.get("/openapi.json", Access::kPublic,
             [etag = etag_of(schemas::openapi_json())](const ApiRequest&) {
               auto reply = http::json_reply(200, std::string(schemas::openapi_json()));
               reply.headers.emplace_back("ETag", etag);
               reply.headers.emplace_back("Cache-Control", "public, max-age=300");
               return reply;
             });

  auth_.declare_routes(routes);
  routes.get("/api/v1/audit-log", Access::kAdmin, [this](const ApiRequest& request) {
    const auto filter = audit::parse_audit_filter(request);
    const auto page = parse_page(request);
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      return audit::list_audit_log(sql, filter, page);
    }));
  });
  declare_ci_routes();
  declare_content_routes();
  declare_github_routes();
  declare_notification_routes();
  declare_fix_proposal_routes();

  // What no route takes: the dashboard's pages and assets, or a 404.
  router_.addNotFoundHandler(
      [this](const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter response) {
        http::respond(request, response, [&] {
          if (request.method() == Pistache::Http::Method::Get) {
            const auto tag = request.headers().tryGetRaw("If-None-Match");
            if (auto page = dashboard_.answer(request.resource(), tag ? tag->value() : ""))
              return *std::move(page);
          }
          return http::problem_reply(not_found("No such endpoint."));
        });
        return Pistache::Rest::Route::Result::Ok;
      });
}

void ApiServer::declare_ci_routes() {
  auto& routes = routes_;

  // The CI state: for any signed-in user; connecting repositories (and their
  // tokens) is for administrators.
  routes.get("/api/v1/workflow-runs", Access::kUser, [this](const ApiRequest& request) {
    const auto filter = parse_run_filter(request);
    const auto page = parse_page(request);
    const auto key = filter.repository + '\n' + filter.workflow + '\n' + filter.branch + '\n' +
                     filter.status + '\n' + filter.conclusion + '\n' + filter.since;
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      const auto total = run_totals_.get(key, [&] { return count_workflow_runs(sql, filter); });
      return list_workflow_runs(sql, filter, page, total);
    }));
  });
  routes.get("/api/v1/workflow-runs/stats", Access::kUser, [this](const ApiRequest& request) {
    const auto window = parse_stats_window(request);
    const auto page = parse_page(request);
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      return workflow_run_stats(sql, window, page);
    }));
  });
  routes.get("/api/v1/workflow-runs/:run_id", Access::kUser, [this](const ApiRequest& request) {
    const auto run_id = provider_id(request, "run_id");
    auto document =
        database_.with_session([&](soci::session& sql) { return get_workflow_run(sql, run_id); });
    return http::json_reply(200, found(std::move(document),
                                       "No " + describe_id("workflow run", run_id) + " is known."));
  });

  routes.get("/api/v1/incidents", Access::kUser, [this](const ApiRequest& request) {
    const auto filter = parse_incident_filter(request);
    const auto page = parse_page(request);
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      return list_incidents(sql, filter, page);
    }));
  });
  routes.get("/api/v1/incidents/:id", Access::kUser, [this](const ApiRequest& request) {
    const auto id = positive_integer("id", request.params.at("id"));
    auto document =
        database_.with_session([&](soci::session& sql) { return get_incident(sql, id); });
    return http::json_reply(
        200, found(std::move(document), "No incident " + std::to_string(id) + " is known."));
  });
  routes.post("/api/v1/incidents/:id/acknowledge", Access::kUser,
              [this](const ApiRequest& request) {
                return incident_action(request, &acknowledge_incident);
              });
  routes.post("/api/v1/incidents/:id/resolve", Access::kUser, [this](const ApiRequest& request) {
    return incident_action(request, &resolve_incident);
  });

  // Analytics (issue 15): read from the rollups, like every CI list.
  const auto analytics_list = [this](AnalyticsFilter (*parse)(const ApiRequest&),
                                     std::string (*list)(soci::session&, AnalyticsCache&,
                                                         const AnalyticsFilter&, const Page&)) {
    return [this, parse, list](const ApiRequest& request) {
      const auto filter = parse(request);
      const auto page = parse_page(request);
      return http::json_reply(200, database_.with_session([&](soci::session& sql) {
        return list(sql, analytics_cache_, filter, page);
      }));
    };
  };
  routes.get("/api/v1/analytics/failure-signatures", Access::kUser,
             analytics_list(&parse_signature_filter, &list_failure_signatures));
  routes.get("/api/v1/analytics/failure-signatures/:signature", Access::kUser,
             [this](const ApiRequest& request) {
               const auto signature = signature_parameter(request.params.at("signature"));
               const auto filter = parse_flaky_filter(request);
               auto document = database_.with_session([&](soci::session& sql) {
                 return get_failure_signature(sql, analytics_cache_, filter, signature);
               });
               return http::json_reply(
                   200, found(std::move(document), "No failure signature " + signature + "."));
             });
  routes.get("/api/v1/analytics/flaky", Access::kUser,
             analytics_list(&parse_flaky_filter, &list_flaky_jobs));
  routes.get("/api/v1/analytics/trends", Access::kUser,
             analytics_list(&parse_trend_filter, &list_trends));
  routes.get("/api/v1/analytics/repositories", Access::kUser,
             analytics_list(&parse_health_filter, &list_repository_health));

  routes.get("/api/v1/repositories", Access::kUser, [this](const ApiRequest& request) {
    const auto page = parse_page(request);
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      return repositories_.list(sql, page);
    }));
  });
  routes.get("/api/v1/repositories/:id", Access::kUser, [this](const ApiRequest& request) {
    const auto id = provider_id(request, "id");
    auto document =
        database_.with_session([&](soci::session& sql) { return repositories_.get(sql, id); });
    return http::json_reply(
        200, found(std::move(document), "No " + describe_id("repository", id) + "."));
  });
  routes.patch("/api/v1/repositories/:id", Access::kAdmin, [this](const ApiRequest& request) {
    const auto id = provider_id(request, "id");
    const auto who = audit::context_of(request);
    auto document = audit_.failures_of(
        database_, who, audit::Action::kAdminRepositoryUpdate, audit::repository_target(id), [&] {
          const auto body = json_body(request);
          return database_.with_session(
              [&](soci::session& sql) { return repositories_.update(sql, id, body, who); });
        });
    return http::json_reply(
        200, found(std::move(document), "No " + describe_id("repository", id) + "."));
  });

  routes.get("/api/v1/reconciliations", Access::kUser, [this](const ApiRequest& request) {
    const auto page = parse_page(request);
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      return list_reconciliations(sql, page);
    }));
  });
}

http::Reply ApiServer::incident_action(const ApiRequest& request,
                                       std::optional<std::string> (*action)(soci::session&,
                                                                            std::int64_t)) {
  const auto id = positive_integer("id", request.params.at("id"));
  auto document = database_.with_session([&](soci::session& sql) { return action(sql, id); });
  return http::json_reply(
      200, found(std::move(document), "No incident " + std::to_string(id) + " is known."));
}

void ApiServer::start() {
  endpoint_.init(http::endpoint_options(settings_.io_threads, kMaxBodyBytes));
  endpoint_.setHandler(Pistache::Http::make_handler<ApiHandler>(router_));
  endpoint_.serveThreaded();
  started_ = true;
  cleanup_ = std::thread([this] { clean_up_periodically(); });
}

void ApiServer::stop() {
  if (stop_.stop_requested())
    return;
  stop_.request_stop();
  if (cleanup_.joinable())
    cleanup_.join();
  if (started_)
    endpoint_.shutdown();
}

void ApiServer::clean_up_periodically() {
  repeat_until_stopped(
      stop_, settings_.cleanup_interval,
      [this] {
        const auto keys = idempotency_.remove_expired();
        const auto windows = database_.with_session(&auth::RateLimiter::remove_expired);
        const auto states = database_.with_session(&OAuthConnections::remove_expired_states);
        const auto challenges = database_.with_session(&auth::remove_expired_challenges);
        const auto audit_rows = prune_audit_log();
        if (keys > 0 || windows > 0 || states > 0 || challenges > 0 || audit_rows > 0)
          log::info("expired rows removed",
                    {{"idempotency_keys", static_cast<std::int64_t>(keys)},
                     {"rate_limit_windows", static_cast<std::int64_t>(windows)},
                     {"oauth_states", static_cast<std::int64_t>(states)},
                     {"two_factor_challenges", static_cast<std::int64_t>(challenges)},
                     {"audit_rows", audit_rows}});
      },
      "cleanup failed; retrying later", FirstPass::kAfterInterval);
}

std::int64_t ApiServer::prune_audit_log() {
  const auto pruning = database_.with_session([this](soci::session& sql) {
    return audit::prune_chain(sql, audit_,
                              audit::retention_cutoff(sql, settings_.audit_retention_days));
  });
  if (pruning.refused)
    log::error("audit log not pruned: its oldest rows do not verify",
               {{"row", pruning.refused->id}, {"problem", pruning.refused->problem}});
  return pruning.pruned;
}

}  // namespace faultline::api
