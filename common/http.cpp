#include "common/http.hpp"

#include <csignal>

#include "common/log.hpp"

namespace faultline::http {

using Pistache::Http::Code;

namespace {

// Pistache writes only typed headers into a response (addRaw ones are dropped),
// so any header we set goes through this one type.
class NamedHeader : public Pistache::Http::Header::Header {
 public:
  NamedHeader(std::string name, std::string value)
      : name_(std::move(name)), value_(std::move(value)) {}
  const char* name() const override { return name_.c_str(); }
  void write(std::ostream& stream) const override { stream << value_; }
#ifdef SAFE_HEADER_CAST
  uint64_t hash() const override {
    return 0;
  }
#endif

 private:
  std::string name_;
  std::string value_;
};

void add_header(ResponseWriter& response, std::string name, std::string value) {
  response.headers().add(std::make_shared<NamedHeader>(std::move(name), std::move(value)));
}

}  // namespace

Reply json_reply(int status, std::string body) {
  return Reply{status, std::move(body), "application/json", {}};
}

Reply problem_reply(const Problem& problem) {
  return Reply{problem.status, problem.to_json(), kProblemContentType, {}};
}

Reply error_reply(const ClientError& error) {
  auto reply = problem_reply(error.problem());
  reply.headers = error.headers();
  return reply;
}

void set_connection(const Request& request, ResponseWriter& response) {
  using Pistache::Http::ConnectionControl;
  namespace Header = Pistache::Http::Header;
  auto control = request.version() == Pistache::Http::Version::Http11 ? ConnectionControl::KeepAlive
                                                                      : ConnectionControl::Close;
  if (const auto asked = request.headers().tryGet<Header::Connection>())
    control = asked->control();
  auto& headers = response.headers();
  if (headers.has<Header::Connection>())
    headers.remove<Header::Connection>();
  headers.add<Header::Connection>(control);
}

void send(ResponseWriter& response, const Reply& reply) {
  add_header(response, "Content-Type", reply.content_type);
  add_header(response, "X-Content-Type-Options", "nosniff");
  add_header(response, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  add_header(response, "Referrer-Policy", "no-referrer");
  for (const auto& [name, value] : reply.headers)
    add_header(response, name, value);
  response.send(static_cast<Code>(reply.status), reply.body);
}

void respond(const Request& request, ResponseWriter& response,
             const std::function<Reply()>& handle) {
  set_connection(request, response);
  Reply reply;
  try {
    reply = handle();
  } catch (const ClientError& e) {
    reply = error_reply(e);
  } catch (const std::exception& e) {
    log::error("request failed", {{"path", request.resource()}, {"error", e.what()}});
    reply = problem_reply(internal_error());
  }
  send(response, reply);
}

Pistache::Http::Endpoint::Options endpoint_options(int threads, std::size_t max_request_bytes) {
  return Pistache::Http::Endpoint::options()
      .threads(threads)
      .flags(Pistache::Tcp::Options::ReuseAddr)
      .maxRequestSize(max_request_bytes)
      .maxResponseSize(64 * 1024 * 1024)
      .headerTimeout(std::chrono::seconds(10))
      .bodyTimeout(std::chrono::seconds(60))
      .keepaliveTimeout(std::chrono::seconds(75));
}

void block_termination_signals() {
  std::signal(SIGPIPE, SIG_IGN);  // some Pistache write paths lack MSG_NOSIGNAL
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int wait_for_termination() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  int received = 0;
  sigwait(&signals, &received);
  return received;
}

}  // namespace faultline::http
