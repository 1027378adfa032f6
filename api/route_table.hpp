#pragma once

#include <pistache/router.h>

#include <functional>
#include <string>

#include "api/api_request.hpp"
#include "api/worker_pool.hpp"
#include "common/http.hpp"
#include "common/metrics.hpp"

namespace faultline::api {

// Who may call a route. Every route names one, so requiring a bearer token
// on a route is a change of this word where the route is declared.
enum class Access { kPublic };

using Handler = std::function<http::Reply(const ApiRequest&)>;

// Declares routes on a Pistache router. Handlers run on the worker pool and
// see an ApiRequest; whatever they throw is mapped once, in http::respond.
class RouteTable {
 public:
  RouteTable(Pistache::Rest::Router& router, WorkerPool& workers, metrics::Registry& registry);

  void get(const std::string& path, Access access, Handler handler);
  void post(const std::string& path, Access access, Handler handler);
  void patch(const std::string& path, Access access, Handler handler);
  void remove(const std::string& path, Access access, Handler handler);

 private:
  using PistacheRoute = void (*)(Pistache::Rest::Router&, const std::string&,
                                 Pistache::Rest::Route::Handler);
  void add(PistacheRoute route, const std::string& path, Access access, Handler handler);
  void dispatch(const std::string& route, const Handler& handler,
                const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter response);

  Pistache::Rest::Router& router_;
  WorkerPool& workers_;
  metrics::Registry& registry_;
};

}  // namespace faultline::api
