#pragma once

// Where Faultline may send what a user configured (notification channels):
// https only, and never to this machine or a private network, unless the
// environment allows it for tests. The address checked is the one a name
// resolved to at connect time (http_exchange::Request::allow_address), so a
// name that points inward is refused as surely as a literal address.

#include <sys/socket.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/config.hpp"

namespace faultline {

// Loopback, unspecified, link-local, private (RFC 1918, unique local),
// carrier-grade NAT, benchmarking, multicast and reserved ranges, and IPv4
// mapped into IPv6 by the same rules: false. Anything else: true.
bool is_public_address(const sockaddr& address);

struct OutboundPolicy {
  bool allow_http = false;
  bool allow_private = false;

  // FAULTLINE_NOTIFY_ALLOW_HTTP=1 and FAULTLINE_NOTIFY_ALLOW_PRIVATE=1, for
  // tests whose receivers listen on 127.0.0.1; refused in production.
  static OutboundPolicy from(const Environment& env);

  // Why `url` may not be used, or nothing: an absolute http(s) URL, https
  // unless allowed, with a host and no user name or password, at most 2048
  // printable ASCII characters; a literal address must be allowed too.
  std::optional<std::string> refuse_url(std::string_view url) const;

  bool allows(const sockaddr& address) const { return allow_private || is_public_address(address); }
};

}  // namespace faultline
