#pragma once

// What every Faultline HTTP service does the same way on Pistache: keep-alive,
// security headers, JSON and problem responses, and shutdown on a signal.

#include <pistache/endpoint.h>
#include <pistache/http.h>

#include <functional>
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

Pistache::Http::Endpoint::Options endpoint_options(int threads, std::size_t max_request_bytes);

// Call before any thread starts, so only wait_for_termination() sees the signals.
void block_termination_signals();
int wait_for_termination();

}  // namespace faultline::http
