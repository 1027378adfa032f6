#pragma once

#include <pistache/endpoint.h>
#include <pistache/router.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/http.hpp"

#include "api/analytics_cache.hpp"
#include "api/audit/audit_log.hpp"
#include "api/auth/auth_service.hpp"
#include "api/change_feed.hpp"
#include "api/dashboard_site.hpp"
#include "api/github/github_settings.hpp"
#include "api/github/oauth_connections.hpp"
#include "api/github/repository_hooks.hpp"
#include "api/idempotency.hpp"
#include "api/notifications/notification_channels.hpp"
#include "api/notifications/notification_rules.hpp"
#include "api/repositories.hpp"
#include "api/route_table.hpp"
#include "api/total_cache.hpp"
#include "api/worker_pool.hpp"
#include "common/config.hpp"
#include "common/database.hpp"
#include "common/github_client.hpp"
#include "common/metrics.hpp"
#include "common/repository_tokens.hpp"
#include "common/secret_box.hpp"
#include "common/stop_signal.hpp"

namespace faultline::api {

struct ApiSettings {
  HostPort address{"127.0.0.1", 8080};
  GitHubSettings github;
  int io_threads = 2;
  std::size_t workers = 4;
  DatabaseSettings database;
  auth::AuthSettings auth;
  std::vector<std::string> cors_origins;  // FAULTLINE_CORS_ORIGINS
  // How often expired Idempotency-Keys and rate-limit windows are removed:
  // FAULTLINE_API_CLEANUP_INTERVAL.
  std::chrono::milliseconds cleanup_interval{std::chrono::minutes(10)};
  // How long a list's total may be reused: FAULTLINE_API_TOTAL_CACHE (0: never).
  std::chrono::milliseconds total_cache{std::chrono::seconds(2)};
  // Audit rows older than this are pruned by the cleanup job:
  // FAULTLINE_AUDIT_RETENTION_DAYS.
  std::int64_t audit_retention_days = audit::kDefaultRetentionDays;
  // Whether analytics answers are kept until what they read changes:
  // FAULTLINE_API_ANALYTICS_CACHE (1, or 0: computed for every request), and
  // how often one is computed again while the data keeps changing:
  // FAULTLINE_API_ANALYTICS_REFRESH.
  bool analytics_cache = true;
  std::chrono::milliseconds analytics_refresh{std::chrono::seconds(1)};
  // Where notification channels may point: FAULTLINE_NOTIFY_ALLOW_HTTP and
  // FAULTLINE_NOTIFY_ALLOW_PRIVATE (tests), as the notifier reads them.
  OutboundPolicy notify_policy;
  // Whether a language model is configured (FAULTLINE_FIX_MODEL_URL): without
  // one the fix proposal endpoints answer 503.
  bool fix_proposals_enabled = false;

  static ApiSettings from(const Environment& env);
};

class ApiServer {
 public:
  ApiServer(const ApiSettings& settings, Database& database, metrics::Registry& registry,
            const SecretBox& secrets, github::Client& github);
  ~ApiServer();

  void start();
  std::uint16_t port() const { return endpoint_.getPort(); }
  void stop();

  // Every route served, for checking against schemas/openapi.yaml.
  const std::vector<DeclaredRoute>& routes() const { return routes_.declared(); }

 private:
  void declare_routes();
  void declare_ci_routes();
  void declare_content_routes();
  void declare_github_routes();
  void declare_notification_routes();
  void declare_fix_proposal_routes();
  // Removes expired Idempotency-Keys, rate-limit windows and audit rows past
  // their retention every cleanup_interval until stop(), off the request path.
  void clean_up_periodically();
  // Prunes audit rows past the retention; how many.
  std::int64_t prune_audit_log();
  http::Reply incident_action(const ApiRequest& request,
                              std::optional<std::string> (*action)(soci::session&, std::int64_t));

  ApiSettings settings_;
  Database& database_;
  metrics::Registry& registry_;
  audit::AuditLog audit_;
  Repositories repositories_;
  NotificationChannels notification_channels_;
  NotificationRules notification_rules_;
  github::Client& github_;
  RepositoryTokens tokens_;
  OAuthConnections oauth_;
  RepositoryHooks hooks_;
  auth::AuthService auth_;
  Idempotency idempotency_;
  TotalCache run_totals_;
  std::unique_ptr<ChangeFeed> analytics_changes_;  // none when the cache is off
  AnalyticsCache analytics_cache_;
  WorkerPool workers_;
  DashboardSite dashboard_;
  Pistache::Rest::Router router_;
  RouteTable routes_;
  Pistache::Http::Endpoint endpoint_;

  bool started_ = false;
  StopSignal stop_;
  std::thread cleanup_;
};

}  // namespace faultline::api
