#pragma once

#include <pistache/router.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "api/api_request.hpp"
#include "api/audit/audit_log.hpp"
#include "api/auth/authenticator.hpp"
#include "api/idempotency.hpp"
#include "api/worker_pool.hpp"
#include "common/http.hpp"
#include "common/metrics.hpp"

namespace faultline::api {

// Who may call a route. Every route names one where it is declared.
//   kPublic: anyone; kUser: any valid access token; kAdmin: an admin's (a
//   user's token gets 403).
enum class Access { kPublic, kUser, kAdmin };

using Handler = std::function<http::Reply(const ApiRequest&)>;

struct DeclaredRoute {
  std::string method;  // GET, POST, PATCH, DELETE
  std::string path;    // as declared: /api/v1/projects/:id
  Access access;
};

// Declares routes on a Pistache router and applies, once, the rules every
// endpoint shares (DESIGN.md, API):
//   - handlers run on the worker pool and see a caller already authenticated
//     as the route's Access asks; whatever they throw is mapped here;
//   - a signed-in POST or PATCH with an Idempotency-Key runs at most once per
//     user, endpoint and key (see Idempotency);
//   - a GET that answers 200 carries an ETag, and 304 when If-None-Match
//     names it;
//   - Cache-Control, unless the handler chose: "private, no-cache" for
//     signed-in reads (revalidated with the ETag), "no-store" for the auth
//     endpoints and every other answer;
//   - CORS headers when the Origin is one of `cors_origins` (preflights too);
//   - every answer carries X-Request-Id, and every access-control refusal (a
//     401 for a missing or bad token on a route that needs one, any 403) is
//     an authz_fail row in the audit log.
class RouteTable {
 public:
  RouteTable(Pistache::Rest::Router& router, WorkerPool& workers, metrics::Registry& registry,
             auth::Authenticator& authenticator, Idempotency& idempotency,
             const audit::AuditLog& audit, Database& database,
             std::vector<std::string> cors_origins);

  const std::vector<DeclaredRoute>& declared() const { return declared_; }

  void get(const std::string& path, Access access, Handler handler);
  void post(const std::string& path, Access access, Handler handler);
  void patch(const std::string& path, Access access, Handler handler);
  void remove(const std::string& path, Access access, Handler handler);

 private:
  using PistacheRoute = void (*)(Pistache::Rest::Router&, const std::string&,
                                 Pistache::Rest::Route::Handler);
  void add(PistacheRoute route, const std::string& method, const std::string& path, Access access,
           Handler handler);
  // Runs the handler under the shared rules above; the reply to send.
  http::Reply answer(const std::string& route, Access access, const Handler& handler,
                     ApiRequest& request);
  http::Reply answer_authorized(const std::string& route, Access access, const Handler& handler,
                                ApiRequest& request);
  void dispatch(const std::string& route, Access access, const Handler& handler,
                const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter response);
  void preflight(const Pistache::Rest::Request& request, Pistache::Http::ResponseWriter response);
  // faultline_api_requests_total, for every answer a route gave (the busy 503 too).
  void count_answer(const std::string& route, int status);
  // The CORS headers for this request's Origin, if it is allowed.
  http::Headers cors_headers(const ApiRequest& request) const;

  Pistache::Rest::Router& router_;
  WorkerPool& workers_;
  metrics::Registry& registry_;
  auth::Authenticator& authenticator_;
  Idempotency& idempotency_;
  const audit::AuditLog& audit_;
  Database& database_;
  std::vector<std::string> cors_origins_;
  std::vector<DeclaredRoute> declared_;
  std::set<std::string> preflight_paths_;
};

}  // namespace faultline::api
