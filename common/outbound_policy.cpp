#include "common/outbound_policy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <array>
#include <cstdint>
#include <cstring>

namespace faultline {
namespace {

bool is_public_v4(std::uint32_t a) {  // host byte order
  const auto in = [a](std::uint32_t network, int bits) {
    const std::uint32_t mask = bits == 0 ? 0 : ~std::uint32_t{0} << (32 - bits);
    return (a & mask) == network;
  };
  return !(in(0x00000000, 8)       // "this network"
           || in(0x0A000000, 8)    // 10/8
           || in(0x64400000, 10)   // 100.64/10, carrier-grade NAT
           || in(0x7F000000, 8)    // loopback
           || in(0xA9FE0000, 16)   // 169.254/16, link-local (cloud metadata)
           || in(0xAC100000, 12)   // 172.16/12
           || in(0xC0000000, 24)   // 192.0.0/24, protocol assignments
           || in(0xC0000200, 24)   // 192.0.2/24, documentation
           || in(0xC0A80000, 16)   // 192.168/16
           || in(0xC6120000, 15)   // 198.18/15, benchmarking
           || in(0xC6336400, 24)   // 198.51.100/24, documentation
           || in(0xCB007100, 24)   // 203.0.113/24, documentation
           || in(0xE0000000, 4)    // multicast
           || in(0xF0000000, 4));  // reserved, broadcast
}

bool is_public_v6(const std::array<unsigned char, 16>& b) {
  static constexpr std::array<unsigned char, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(b.data(), kMapped.data(), kMapped.size()) == 0) {
    const std::uint32_t v4 = (std::uint32_t{b[12]} << 24) | (std::uint32_t{b[13]} << 16) |
                             (std::uint32_t{b[14]} << 8) | b[15];
    return is_public_v4(v4);
  }
  bool zero_prefix = true;  // ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d
  for (int i = 0; i < 12; ++i)
    zero_prefix = zero_prefix && b[i] == 0;
  if (zero_prefix)
    return false;
  if ((b[0] & 0xfe) == 0xfc)  // fc00::/7, unique local
    return false;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80)  // fe80::/10, link-local
    return false;
  if (b[0] == 0xfe && (b[1] & 0xc0) == 0xc0)  // fec0::/10, site-local (deprecated)
    return false;
  if (b[0] == 0xff)  // multicast
    return false;
  if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)  // 2001:db8::/32, documentation
    return false;
  if (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xff && b[3] == 0x9b)  // 64:ff9b::/96 reaches IPv4
    return false;
  return true;
}

}  // namespace

bool is_public_address(const sockaddr& address) {
  if (address.sa_family == AF_INET) {
    sockaddr_in v4{};
    std::memcpy(&v4, &address, sizeof v4);
    return is_public_v4(ntohl(v4.sin_addr.s_addr));
  }
  if (address.sa_family == AF_INET6) {
    sockaddr_in6 v6{};
    std::memcpy(&v6, &address, sizeof v6);
    std::array<unsigned char, 16> bytes{};
    std::memcpy(bytes.data(), &v6.sin6_addr, bytes.size());
    return is_public_v6(bytes);
  }
  return false;  // Unix sockets and the rest
}

OutboundPolicy OutboundPolicy::from(const Environment& env) {
  OutboundPolicy policy;
  policy.allow_http = env.integer("FAULTLINE_NOTIFY_ALLOW_HTTP", 0, 0, 1) == 1;
  policy.allow_private = env.integer("FAULTLINE_NOTIFY_ALLOW_PRIVATE", 0, 0, 1) == 1;
  if (env.production() && (policy.allow_http || policy.allow_private))
    throw ConfigError(
        "FAULTLINE_NOTIFY_ALLOW_HTTP and FAULTLINE_NOTIFY_ALLOW_PRIVATE are for tests; "
        "production refuses them");
  return policy;
}

std::optional<std::string> OutboundPolicy::refuse_url(std::string_view url) const {
  if (url.size() > 2048)
    return "the URL is longer than 2048 characters";
  for (const char c : url)
    if (c <= ' ' || c >= 0x7f)
      return "the URL holds a space, a control character or a non-ASCII byte";
  std::string_view rest;
  if (url.substr(0, 8) == "https://")
    rest = url.substr(8);
  else if (url.substr(0, 7) == "http://" && allow_http)
    rest = url.substr(7);
  else
    return allow_http ? "the URL must start with https:// or http://"
                      : "the URL must start with https://";
  const auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos)
    return "the URL must not carry a user name or password";
  std::string_view host = authority;
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    if (close == std::string_view::npos)
      return "the URL's IPv6 address is not closed with ]";
    host = host.substr(1, close - 1);
  } else {
    host = host.substr(0, host.find(':'));
  }
  if (host.empty())
    return "the URL has no host";
  const std::string literal(host);
  in_addr v4{};
  std::array<unsigned char, 16> v6{};
  const bool literal_v4 = ::inet_pton(AF_INET, literal.c_str(), &v4) == 1;
  const bool literal_v6 = !literal_v4 && ::inet_pton(AF_INET6, literal.c_str(), v6.data()) == 1;
  if (!allow_private &&
      ((literal_v4 && !is_public_v4(ntohl(v4.s_addr))) || (literal_v6 && !is_public_v6(v6)))) {
    return "the URL names a loopback, link-local or private address";
  } else if (!allow_private && (literal == "localhost" || literal.ends_with(".localhost"))) {
    return "the URL names this machine";
  }
  return std::nullopt;
}

}  // namespace faultline
