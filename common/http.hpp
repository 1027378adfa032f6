#pragma once

// What every Faultline HTTP service does the same way on Pistache: keep-alive,
// request size limits, security headers, JSON and problem responses, and
// shutdown on a signal.

#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/problem.hpp"

namespace faultline::http {

using Pistache::Http::Request;
using Pistache::Http::ResponseWriter;

using Headers = std::vector<std::pair<std::string, std::string>>;

// What a handler's logic answers; the edge turns it into bytes.
struct Reply {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  Headers headers;
};

Reply json_reply(int status, std::string body);
Reply problem_reply(const Problem& problem);
Reply error_reply(const ClientError& error);

// Pistache answers "Connection: Close" to an HTTP/1.1 request that sent no
// Connection header, so clients would reconnect every time. This sets the
// header the protocol implies.
void set_connection(const Request& request, ResponseWriter& response);

void send(ResponseWriter& response, const Reply& reply);

// Runs `handle`, maps a ClientError to its problem and anything else to a bare
// 500 (logged, never shown to the client), and sends the reply.
void respond(const Request& request, ResponseWriter& response,
             const std::function<Reply()>& handle);

// The Pistache handler of every Faultline service: subclasses add onRequest
// (and HTTP_PROTOTYPE). Pistache 0.0.5 answers a request it will not read to
// the end (over its size limit, or not parseable) with its own text and then
// parses the rest of it as further requests on the same connection, so the next
// request there gets a stray 400. Here such a request gets a problem with
// `Connection: close` and the connection is closed; a Content-Length over
// `max_body_bytes` is refused from the headers, before the body is read.
class Handler : public Pistache::Http::Handler {
 public:
  explicit Handler(std::size_t max_body_bytes) : max_body_bytes_(max_body_bytes) {}

 protected:
  // Called for each request refused that way (none of onRequest runs for it).
  virtual void refused(const Problem& /*problem*/) {}

 private:
  void onConnection(const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void onInput(const char* buffer, std::size_t length,
               const std::shared_ptr<Pistache::Tcp::Peer>& peer) override;
  void refuse(const std::shared_ptr<Pistache::Tcp::Peer>& peer, const Problem& problem);

  std::size_t max_body_bytes_;
};

// Pistache's own limit is on the whole request: `max_body_bytes` plus room for
// the request line and headers.
Pistache::Http::Endpoint::Options endpoint_options(int threads, std::size_t max_body_bytes);

// Call before any thread starts, so only wait_for_termination() sees the signals.
void block_termination_signals();
int wait_for_termination();

}  // namespace faultline::http
