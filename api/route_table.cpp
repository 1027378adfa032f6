#include "api/route_table.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <memory>

#include "api/conditional.hpp"
#include "common/log.hpp"
#include "common/trace_context.hpp"

namespace faultline::api {

namespace Rest = Pistache::Rest;
namespace Http = Pistache::Http;

namespace {

ApiRequest copy_request(const Rest::Request& request, const std::string& route) {
  ApiRequest out;
  out.method = Http::methodString(request.method());
  out.path = request.resource();
  out.body = request.body();
  out.client_ip = request.address().host();
  for (const auto& [name, raw] : request.headers().rawList()) {
    std::string lower = name;
    for (auto& c : lower)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    out.headers[lower] = raw.value();
  }
  out.request_id = request_id_of(out.headers);
  // Pistache keeps the headers it knows as typed ones, outside rawList().
  if (const auto type = request.headers().tryGet<Http::Header::ContentType>())
    out.headers["content-type"] = type->mime().toString();
  // Route parameters are the ":name" segments of the declared path.
  std::size_t at = 0;
  while ((at = route.find(':', at)) != std::string::npos) {
    const auto end = route.find('/', at);
    const std::string name = route.substr(at, end == std::string::npos ? end : end - at);
    if (request.hasParam(name)) {
      const auto decoded = url_decode(request.param(name).as<std::string>());
      if (!decoded)
        throw ClientError(bad_request("The path is not validly encoded."));
      out.params[name.substr(1)] = *decoded;
    }
    at += name.size();
  }
  const auto& query = request.query();
  for (auto it = query.parameters_begin(); it != query.parameters_end(); ++it) {
    const auto key = url_decode(it->first);
    const auto value = url_decode(it->second);
    if (!key || !value)
      throw ClientError(bad_request("The query string is not validly encoded."));
    out.query[*key] = *value;
  }
  return out;
}

const std::string* find_header(const http::Reply& reply, const std::string& name) {
  for (const auto& [header, value] : reply.headers)
    if (header == name)
      return &value;
  return nullptr;
}

// Routes that hand out or manage credentials: their answers are neither
// stored by browsers nor replayed for an Idempotency-Key.
bool credentials_route(const std::string& route) {
  return route.rfind("/api/v1/auth/", 0) == 0;
}

// Signed-in reads may be kept by the browser, but only to be revalidated
// with their ETag.
std::string default_cache_control(const ApiRequest& request, const std::string& route,
                                  Access access) {
  if (request.method == "GET" && access != Access::kPublic && !credentials_route(route))
    return "private, no-cache";
  return "no-store";
}

}  // namespace

RouteTable::RouteTable(Rest::Router& router, WorkerPool& workers, metrics::Registry& registry,
                       auth::Authenticator& authenticator, Idempotency& idempotency,
                       const audit::AuditLog& audit, Database& database,
                       std::vector<std::string> cors_origins)
    : router_(router),
      workers_(workers),
      registry_(registry),
      authenticator_(authenticator),
      idempotency_(idempotency),
      audit_(audit),
      database_(database),
      cors_origins_(std::move(cors_origins)) {}

void RouteTable::add(PistacheRoute route, const std::string& method, const std::string& path,
                     Access access, Handler handler) {
  declared_.push_back(DeclaredRoute{method, path, access});
  route(router_, path,
        [this, path, access, handler = std::move(handler)](const Rest::Request& request,
                                                           Http::ResponseWriter response) {
          dispatch(path, access, handler, request, std::move(response));
          return Rest::Route::Result::Ok;
        });
  if (preflight_paths_.insert(path).second)
    Rest::Routes::Options(router_, path,
                          [this](const Rest::Request& request, Http::ResponseWriter response) {
                            preflight(request, std::move(response));
                            return Rest::Route::Result::Ok;
                          });
}

http::Headers RouteTable::cors_headers(const ApiRequest& request) const {
  const auto origin = request.headers.find("origin");
  if (origin == request.headers.end() ||
      std::find(cors_origins_.begin(), cors_origins_.end(), origin->second) == cors_origins_.end())
    return {};
  return {{"Access-Control-Allow-Origin", origin->second},
          {"Vary", "Origin"},
          {"Access-Control-Expose-Headers",
           "ETag, Location, Retry-After, RateLimit, RateLimit-Policy, X-RateLimit-Limit, "
           "X-RateLimit-Remaining, X-RateLimit-Reset, X-Request-Id, traceparent"}};
}

void RouteTable::preflight(const Rest::Request& request, Http::ResponseWriter response) {
  http::set_connection(request, response);
  ApiRequest copied;
  try {
    copied = copy_request(request, "");
  } catch (const ClientError& e) {
    return http::send(response, http::error_reply(e));
  }
  auto headers = cors_headers(copied);
  if (headers.empty())
    return http::send(
        response, http::problem_reply(Problem{
                      403, "Forbidden", "This origin may not call the API.", "cors-origin", {}}));
  headers.emplace_back("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS");
  headers.emplace_back("Access-Control-Allow-Headers",
                       "Authorization, Content-Type, Idempotency-Key, If-Match, If-None-Match, "
                       "traceparent, tracestate");
  headers.emplace_back("Access-Control-Max-Age", "600");
  http::send(response, http::Reply{204, "", "text/plain", std::move(headers)});
}

void RouteTable::get(const std::string& path, Access access, Handler handler) {
  add(&Rest::Routes::Get, "GET", path, access, std::move(handler));
}

void RouteTable::post(const std::string& path, Access access, Handler handler) {
  add(&Rest::Routes::Post, "POST", path, access, std::move(handler));
}

void RouteTable::patch(const std::string& path, Access access, Handler handler) {
  add(&Rest::Routes::Patch, "PATCH", path, access, std::move(handler));
}

void RouteTable::remove(const std::string& path, Access access, Handler handler) {
  add(&Rest::Routes::Delete, "DELETE", path, access, std::move(handler));
}

http::Reply RouteTable::answer(const std::string& route, Access access, const Handler& handler,
                               ApiRequest& request) {
  try {
    return answer_authorized(route, access, handler, request);
  } catch (const ClientError& e) {
    // A 401 before any principal is the token's refusal; a 403 is always a role's.
    const int status = e.problem().status;
    if ((status == 401 && access != Access::kPublic && !request.principal) || status == 403) {
      try {
        audit_.record(database_, audit::context_of(request),
                      audit::Event{audit::Action::kAuthzFail, request.method + " " + route,
                                   audit::Outcome::kFailure,
                                   std::to_string(status) + ": " + e.problem().detail});
      } catch (const std::exception& failed) {
        // The refusal stands either way; the operator learns the row is missing.
        log::error("audit row not written",
                   {{"action", "authz_fail"}, {"route", route}, {"error", failed.what()}});
      }
    }
    throw;
  }
}

http::Reply RouteTable::answer_authorized(const std::string& route, Access access,
                                          const Handler& handler, ApiRequest& request) {
  if (access != Access::kPublic)
    request.principal = authenticator_.authenticate(request);
  if (access == Access::kAdmin && !request.principal->admin())
    throw ClientError(Problem{403, "Forbidden", "This needs an administrator.", "forbidden", {}});

  if ((request.method == "POST" || request.method == "PATCH") && access != Access::kPublic &&
      !credentials_route(route)) {
    if (const auto key = idempotency_key(request))
      return idempotency_.run(request, *key, [&] { return handler(request); });
  }

  auto reply = handler(request);
  if (request.method == "GET" && reply.status == 200) {
    // A handler that knows its tag already (a fixed document) saves the hash.
    const auto* known = find_header(reply, "ETag");
    const auto etag = known ? *known : etag_of(reply.body);
    if (!known)
      reply.headers.emplace_back("ETag", etag);
    if (none_match_fails(request, etag)) {
      reply.status = 304;
      reply.body.clear();
    }
  }
  return reply;
}

void RouteTable::dispatch(const std::string& route, Access access, const Handler& handler,
                          const Rest::Request& request, Http::ResponseWriter response) {
  http::set_connection(request, response);
  ApiRequest copied;
  try {
    copied = copy_request(request, route);
  } catch (const ClientError& e) {
    return http::send(response, http::error_reply(e));
  }
  auto writer = std::make_shared<Http::ResponseWriter>(std::move(response));
  const auto started = std::chrono::steady_clock::now();
  auto task = [this, route, access, handler, writer, started,
               copied = std::move(copied)]() mutable {
    // What the request does (its log lines, GitHub calls, incident events)
    // belongs to the caller's trace, or to one that starts here.
    const trace::Scope traced(
        trace::continue_from(copied.header("traceparent"), copied.header("tracestate")));
    http::Reply reply;
    try {
      reply = answer(route, access, handler, copied);
    } catch (const ClientError& e) {
      reply = http::error_reply(e);
    } catch (const std::exception& e) {
      log::error("request failed", {{"route", route}, {"path", copied.path}, {"error", e.what()}});
      reply = http::problem_reply(internal_error());
    }
    if (!find_header(reply, "Cache-Control"))
      reply.headers.emplace_back("Cache-Control", default_cache_control(copied, route, access));
    for (auto& header : cors_headers(copied))
      reply.headers.push_back(std::move(header));
    reply.headers.emplace_back("X-Request-Id", copied.request_id);
    reply.headers.emplace_back("traceparent", trace::current()->traceparent());
    http::send(*writer, reply);
    count_answer(route, reply.status);
    registry_
        .histogram("faultline_api_request_seconds", "API request latency, by route",
                   metrics::latency_buckets(), {{"route", route}})
        .observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  };
  if (!workers_.submit(std::move(task))) {
    auto reply = http::problem_reply(
        Problem{503, "Service Unavailable", "The server is busy; retry shortly.", "busy", {}});
    reply.headers.emplace_back("Retry-After", "1");
    http::send(*writer, reply);
    count_answer(route, reply.status);
  }
}

void RouteTable::count_answer(const std::string& route, int status) {
  registry_
      .counter("faultline_api_requests_total", "API requests answered, by route and status",
               {{"route", route}, {"status", std::to_string(status)}})
      .increment();
}

}  // namespace faultline::api
