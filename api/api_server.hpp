#pragma once

#include <pistache/endpoint.h>
#include <pistache/router.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/http.hpp"

#include "api/auth/auth_service.hpp"
#include "api/repositories.hpp"
#include "api/route_table.hpp"
#include "api/worker_pool.hpp"
#include "common/config.hpp"
#include "common/database.hpp"
#include "common/github_client.hpp"
#include "common/metrics.hpp"
#include "common/secret_box.hpp"

namespace faultline::api {

struct ApiSettings {
  HostPort address{"127.0.0.1", 8080};
  std::string default_github_token;  // FAULTLINE_GITHUB_TOKEN
  int io_threads = 2;
  std::size_t workers = 4;
  DatabaseSettings database;
  auth::AuthSettings auth;
  std::vector<std::string> cors_origins;  // FAULTLINE_CORS_ORIGINS

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

 private:
  void declare_routes();
  http::Reply incident_action(const ApiRequest& request,
                              std::optional<std::string> (*action)(soci::session&, std::int64_t));

  ApiSettings settings_;
  Database& database_;
  metrics::Registry& registry_;
  Repositories repositories_;
  github::Client& github_;
  auth::AuthService auth_;
  WorkerPool workers_;
  Pistache::Rest::Router router_;
  RouteTable routes_;
  Pistache::Http::Endpoint endpoint_;
};

}  // namespace faultline::api
