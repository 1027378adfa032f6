#pragma once

// One HTTP exchange on libcurl, the way every outbound client of Faultline
// makes it (GitHub's client, the notifier): headers given in full, timeouts,
// the answer's status, body and headers, and a transport error as a value.

#include <sys/socket.h>

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace faultline::http_exchange {

struct Request {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  bool follow_redirects = false;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};
  // Asked about every address the name resolved to, before connecting to it;
  // false refuses it (no socket is opened). Unset: any address.
  std::function<bool(const sockaddr& address)> allow_address;
};

struct Response {
  long status = 0;  // 0: no HTTP answer (see error)
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string error;                           // transport error, if any
  bool address_refused = false;                // allow_address said no
};

// Never throws for what the network does; only when libcurl cannot start.
Response perform(const Request& request);

// The wait a Retry-After header asks for, in seconds (an HTTP date is not read).
std::optional<std::chrono::seconds> retry_after(const Response& response);

}  // namespace faultline::http_exchange
