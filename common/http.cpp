#include "common/http.hpp"

#include <pistache/peer.h>
#include <sys/socket.h>

#include <csignal>
#include <utility>

#include "common/log.hpp"

namespace faultline::http {

using Pistache::Http::Code;
namespace Header = Pistache::Http::Header;
namespace Private = Pistache::Http::Private;
using Pistache::Tcp::Peer;

namespace {

// Room for the request line and headers in Pistache's limit on a request.
constexpr std::size_t kHeadBytes = 64 * 1024;
// Marks a peer whose connection is being closed after a refusal.
const std::string kRefusedData = "faultline.refused";

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

Pistache::Async::Promise<ssize_t> write(ResponseWriter& response, const Reply& reply) {
  // Pistache keeps the first of two headers of a name, so the reply's own go first.
  for (const auto& [name, value] : reply.headers)
    add_header(response, name, value);
  add_header(response, "Content-Type", reply.content_type);
  add_header(response, "X-Content-Type-Options", "nosniff");
  add_header(response, "Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  add_header(response, "Referrer-Policy", "no-referrer");
  return response.send(static_cast<Code>(reply.status), reply.body);
}

Problem too_large(const char* what, std::size_t limit) {
  return Problem{
      413,
      "Payload Too Large",
      std::string("The ") + what + " is larger than " + std::to_string(limit) + " bytes.",
      "payload-too-large",
      {}};
}

// Pistache's body step, refusing a body over the limit: by its Content-Length
// before a byte of it is buffered (Pistache reserves that length up front), and
// a chunked one as soon as what arrived passes the limit.
class BoundedBodyStep : public Private::Step {
 public:
  BoundedBodyStep(Pistache::Http::Message* request, std::unique_ptr<Private::Step> body,
                  std::size_t max_body_bytes)
      : Step(request), body_(std::move(body)), max_body_bytes_(max_body_bytes) {}

  Private::StepId id() const override { return Private::BodyStep::Id; }

  Private::State apply(Pistache::StreamCursor& cursor) override {
    const auto length = message->headers().tryGet<Header::ContentLength>();
    if (length && length->value() > max_body_bytes_)
      raise("body", Code::Request_Entity_Too_Large);
    const auto state = body_->apply(cursor);
    // The const body(): the other one returns a copy.
    if (std::as_const(*message).body().size() > max_body_bytes_)
      raise("body", Code::Request_Entity_Too_Large);
    return state;
  }

 private:
  std::unique_ptr<Private::Step> body_;
  std::size_t max_body_bytes_;
};

class BoundedParser : public Pistache::Http::RequestParser {
 public:
  BoundedParser(std::size_t max_request_bytes, std::size_t max_body_bytes)
      : Pistache::Http::RequestParser(max_request_bytes) {
    // Steps: request line, headers, body.
    allSteps[2] =
        std::make_unique<BoundedBodyStep>(&request, std::move(allSteps[2]), max_body_bytes);
  }
};

// The problem for what Pistache's parser threw; its own text stays inside.
Problem unreadable(int status) {
  switch (status) {
    case 400:
      return bad_request("The request is not well-formed HTTP/1.1.", "malformed-request");
    case 501:
      return Problem{501,
                     "Not Implemented",
                     "Only the chunked transfer coding is supported.",
                     "transfer-encoding",
                     {}};
    default:
      return Problem{status,
                     Pistache::Http::codeString(static_cast<Code>(status)),
                     "The request could not be read.",
                     "unreadable-request",
                     {}};
  }
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
  write(response, reply);
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

void Handler::onConnection(const std::shared_ptr<Peer>& peer) {
  peer->putData(ParserData, std::make_shared<BoundedParser>(getMaxRequestSize(), max_body_bytes_));
}

// Pistache's Handler::onInput, except for what it cannot read to the end.
void Handler::onInput(const char* buffer, std::size_t length, const std::shared_ptr<Peer>& peer) {
  if (peer->tryGetData(kRefusedData))
    return;  // the rest of a refused request, or what came after it
  const auto parser = getParser(peer);
  auto& request = parser->request;
  try {
    if (!parser->feed(buffer, length))
      return refuse(peer, too_large("request", getMaxRequestSize()));
    if (parser->parse() != Private::State::Done)
      return;
    ResponseWriter response(request.version(), transport(), this, peer);
    request.copyAddress(peer->address());
    const auto connection = request.headers().tryGet<Header::Connection>();
    response.headers().add<Header::Connection>(
        connection ? connection->control() : Pistache::Http::ConnectionControl::Close);
    peer->setIdle(false);
    onRequest(request, std::move(response));
    parser->reset();
  } catch (const Pistache::Http::HttpError& e) {
    refuse(peer, e.code() == 413 ? too_large("body", max_body_bytes_) : unreadable(e.code()));
  } catch (const std::exception& e) {
    log::error("request failed", {{"error", e.what()}});
    refuse(peer, internal_error());
  }
}

// Answers with `Connection: close` and closes the connection once the answer
// is written. Only our side is shut down: the client may still be sending the
// body, and closing the socket with bytes arriving makes the kernel answer
// them with a reset, which can reach the client (or a proxy, which would then
// report a 502) before it read the answer. So what still arrives is read and
// dropped until the client closes the connection, or Pistache's keep-alive
// timeout removes it.
void Handler::refuse(const std::shared_ptr<Peer>& peer, const Problem& problem) {
  const auto parser = getParser(peer);
  ResponseWriter response(parser->request.version(), transport(), this, peer);
  parser->reset();
  peer->putData(kRefusedData, std::make_shared<bool>(true));
  log::info("request refused", {{"status", problem.status}, {"peer", peer->address().host()}});
  refused(problem);
  response.headers().add<Header::Connection>(Pistache::Http::ConnectionControl::Close);
  const std::weak_ptr<Peer> weak = peer;
  write(response, problem_reply(problem))
      .then(
          [weak](ssize_t) {
            // Still Pistache's peer, so the descriptor is still its socket.
            if (const auto alive = weak.lock())
              ::shutdown(alive->fd(), SHUT_WR);
          },
          Pistache::Async::IgnoreException);
}

Pistache::Http::Endpoint::Options endpoint_options(int threads, std::size_t max_body_bytes) {
  return Pistache::Http::Endpoint::options()
      .threads(threads)
      .flags(Pistache::Tcp::Options::ReuseAddr)
      .maxRequestSize(max_body_bytes + kHeadBytes)
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
