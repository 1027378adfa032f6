#include "common/status.hpp"

#include <memory>
#include <utility>

namespace faultline::status {

namespace {

class StatusHandler : public Pistache::Http::Handler {
 public:
  HTTP_PROTOTYPE(StatusHandler)

  StatusHandler(std::shared_ptr<const Checks> checks, const metrics::Registry* registry)
      : checks_(std::move(checks)), registry_(registry) {}

  void onRequest(const Pistache::Http::Request& request,
                 Pistache::Http::ResponseWriter response) override {
    http::respond(request, response, [&] {
      if (auto reply = answer(request.resource(), *checks_, *registry_))
        return std::move(*reply);
      return http::problem_reply(not_found("No such endpoint."));
    });
  }

 private:
  std::shared_ptr<const Checks> checks_;
  const metrics::Registry* registry_;
};

}  // namespace

Problem unavailable(std::string detail, std::string kind) {
  return Problem{503, "Service Unavailable", std::move(detail), std::move(kind), {}};
}

http::Reply health() {
  return http::json_reply(200, R"({"status":"ok"})");
}

http::Reply ready(const Checks& checks) {
  for (const auto& check : checks)
    if (const auto problem = check())
      return http::problem_reply(*problem);
  return http::json_reply(200, R"({"status":"ready"})");
}

http::Reply metrics(const metrics::Registry& registry) {
  return http::Reply{200, registry.render(), "text/plain; version=0.0.4", {}};
}

bool serves(std::string_view path) {
  return path == "/health" || path == "/ready" || path == "/metrics";
}

std::optional<http::Reply> answer(std::string_view path, const Checks& checks,
                                  const metrics::Registry& registry) {
  if (path == "/health")
    return health();
  if (path == "/ready")
    return ready(checks);
  if (path == "/metrics")
    return metrics(registry);
  return std::nullopt;
}

StatusServer::StatusServer(const HostPort& address, const metrics::Registry& registry)
    : registry_(registry),
      endpoint_(Pistache::Address(address.host, Pistache::Port(address.port))) {
  endpoint_.init(http::endpoint_options(1, 64 * 1024));
}

StatusServer::~StatusServer() {
  shutdown();
}

void StatusServer::serve(Checks checks) {
  endpoint_.setHandler(Pistache::Http::make_handler<StatusHandler>(
      std::make_shared<const Checks>(std::move(checks)), &registry_));
  endpoint_.serveThreaded();
  serving_ = true;
}

std::uint16_t StatusServer::port() const {
  return endpoint_.getPort();
}

void StatusServer::shutdown() {
  if (serving_)
    endpoint_.shutdown();
  serving_ = false;
}

}  // namespace faultline::status
