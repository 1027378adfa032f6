#pragma once

#include <pistache/router.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "api/api_request.hpp"
#include "api/auth/authenticator.hpp"
#include "api/worker_pool.hpp"
#include "common/http.hpp"
#include "common/metrics.hpp"

namespace faultline::api {

// Who may call a route. Every route names one where it is declared.
//   kPublic: anyone; kUser: any valid access token; kAdmin: an admin's (a
//   user's token gets 403).
enum class Access { kPublic, kUser, kAdmin };

using Handler = std::function<http::Reply(const ApiRequest&)>;

// Declares routes on a Pistache router. Handlers run on the worker pool and
// see an ApiRequest whose caller is already authenticated as the route's
// Access asks; whatever they throw is mapped once, here. Every answer gets
// "Cache-Control: no-store" unless the handler chose otherwise, and CORS
// headers when the Origin is one of `cors_origins` (preflights included).
class RouteTable {
 public:
  RouteTable(Pistache::Rest::Router& router, WorkerPool& workers, metrics::Registry& registry,
             auth::Authenticator& authenticator, std::vector<std::string> cors_origins);

  void get(const std::string& path, Access access, Handler handler);
  void post(const std::string& path, Access access, Handler handler);
  void patch(const std::string& path, Access access, Handler handler);
  void remove(const std::string& path, Access access, Handler handler);

 private:
  using PistacheRoute = void (*)(Pistache::Rest::Router&, const std::string&,
                                 Pistache::Rest::Route::Handler);
  void add(PistacheRoute route, const std::string& path, Access access, Handler handler);
  void dispatch(const std::string& route, Access access, const Handler& handler,
                const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter response);
  void preflight(const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter response);
  // The CORS headers for this request's Origin, if it is allowed.
  http::Headers cors_headers(const ApiRequest& request) const;

  Pistache::Rest::Router& router_;
  WorkerPool& workers_;
  metrics::Registry& registry_;
  auth::Authenticator& authenticator_;
  std::vector<std::string> cors_origins_;
  std::set<std::string> preflight_paths_;
};

}  // namespace faultline::api
