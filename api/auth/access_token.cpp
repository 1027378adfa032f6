#include "api/auth/access_token.hpp"

#include <set>
#include <stdexcept>

#include "common/base64.hpp"
#include "common/crypto.hpp"
#include "common/json.hpp"

namespace faultline::api::auth {
namespace {

constexpr std::string_view kHeader = R"({"alg":"HS256","typ":"JWT"})";
// Clocks of API processes may differ a little; a token from the near future is fine.
constexpr std::int64_t kClockSkewSeconds = 60;

std::string signature(const std::string& key, std::string_view signing_input) {
  const auto mac = crypto::hmac_sha256(key, signing_input);
  return std::string(reinterpret_cast<const char*>(mac.data()), mac.size());
}

// A JSON object with no repeated member names, or nothing. Parsers disagree on
// which duplicate wins, so a token that has one is refused.
std::optional<json::Document> parse_object(std::string_view encoded) {
  const auto text = base64url_decode(encoded);
  if (!text)
    return std::nullopt;
  try {
    auto document = json::parse(*text);
    if (!document.IsObject())
      return std::nullopt;
    std::set<std::string_view> names;
    for (const auto& m : document.GetObject())
      if (!names.emplace(m.name.GetString(), m.name.GetStringLength()).second)
        return std::nullopt;
    return document;
  } catch (const json::ParseError&) {
    return std::nullopt;
  }
}

bool header_is_pinned(const json::Document& header) {
  for (const auto& m : header.GetObject()) {
    const std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (!m.value.IsString())
      return false;
    const std::string_view value(m.value.GetString(), m.value.GetStringLength());
    if (name == "alg" && value == "HS256")
      continue;
    if (name == "typ" && value == "JWT")
      continue;
    return false;  // another algorithm, "crit", "kid", "jku", ... all refused
  }
  return json::string_member(header, "alg").has_value();
}

std::optional<std::int64_t> decimal_id(std::string_view text) {
  if (text.empty() || text.size() > 18 || text.front() == '0')
    return std::nullopt;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9')
      return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

std::optional<std::string> bounded_string(const json::Value& payload, const char* key) {
  const auto value = json::string_member(payload, key);
  if (!value || value->empty() || value->size() > 320)
    return std::nullopt;
  return std::string(*value);
}

}  // namespace

const char* to_string(TokenError error) {
  switch (error) {
    case TokenError::kNone:
      return "none";
    case TokenError::kMalformed:
      return "malformed";
    case TokenError::kAlgorithm:
      return "algorithm";
    case TokenError::kSignature:
      return "signature";
    case TokenError::kClaims:
      return "claims";
    case TokenError::kType:
      return "type";
    case TokenError::kExpired:
      return "expired";
    case TokenError::kNotYetValid:
      return "not-yet-valid";
  }
  return "unknown";
}

AccessTokens::AccessTokens(std::string key) : key_(std::move(key)) {
  if (key_.size() < 32)
    throw std::invalid_argument("the access token key must be at least 32 bytes");
}

std::string AccessTokens::sign_raw(std::string_view header_json,
                                   std::string_view payload_json) const {
  std::string token = base64url_encode(header_json);
  token += '.';
  token += base64url_encode(payload_json);
  const std::string mac = base64url_encode(signature(key_, token));
  token += '.';
  token += mac;
  return token;
}

std::string AccessTokens::issue(AccessClaims claims, std::int64_t now) const {
  claims.issued_at = now;
  claims.expires_at = now + kLifetimeSeconds;
  claims.token_id = crypto::to_hex(crypto::sha256(crypto::random_bytes(32))).substr(0, 32);
  const auto payload = json::object([&](json::Writer& out) {
    out.Key("sub");
    json::write(out, std::to_string(claims.user_id));
    out.Key("email");
    json::write(out, claims.email);
    out.Key("role");
    json::write(out, claims.role);
    out.Key("iat");
    out.Int64(claims.issued_at);
    out.Key("exp");
    out.Int64(claims.expires_at);
    out.Key("type");
    json::write(out, "access");
    out.Key("jti");
    json::write(out, claims.token_id);
    out.Key("sid");
    json::write(out, claims.session_id);
  });
  return sign_raw(kHeader, payload);
}

VerifiedToken AccessTokens::verify(std::string_view token, std::int64_t now) const {
  const auto refuse = [](TokenError error) { return VerifiedToken{std::nullopt, error}; };
  if (token.empty() || token.size() > kMaxTokenBytes)
    return refuse(TokenError::kMalformed);
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
    return refuse(TokenError::kMalformed);

  const auto header = parse_object(token.substr(0, first));
  if (!header)
    return refuse(TokenError::kMalformed);
  if (!header_is_pinned(*header))
    return refuse(TokenError::kAlgorithm);

  const auto presented = base64url_decode(token.substr(second + 1));
  if (!presented)
    return refuse(TokenError::kMalformed);
  if (!crypto::constant_time_equal(*presented, signature(key_, token.substr(0, second))))
    return refuse(TokenError::kSignature);

  // Only a payload we signed is read at all.
  const auto payload = parse_object(token.substr(first + 1, second - first - 1));
  if (!payload)
    return refuse(TokenError::kMalformed);
  if (json::string_member(*payload, "type") != std::optional<std::string_view>("access"))
    return refuse(TokenError::kType);

  AccessClaims claims;
  const auto sub = json::string_member(*payload, "sub");
  const auto user_id = sub ? decimal_id(*sub) : std::nullopt;
  const auto email = bounded_string(*payload, "email");
  const auto role = bounded_string(*payload, "role");
  const auto jti = bounded_string(*payload, "jti");
  const auto sid = bounded_string(*payload, "sid");
  const auto iat = json::integer_member(*payload, "iat");
  const auto exp = json::integer_member(*payload, "exp");
  if (!user_id || !email || !role || !jti || !sid || !iat || !exp ||
      (*role != "user" && *role != "admin"))
    return refuse(TokenError::kClaims);
  if (*exp <= now)
    return refuse(TokenError::kExpired);
  if (*iat > now + kClockSkewSeconds)
    return refuse(TokenError::kNotYetValid);
  claims.user_id = *user_id;
  claims.email = *email;
  claims.role = *role;
  claims.issued_at = *iat;
  claims.expires_at = *exp;
  claims.token_id = *jti;
  claims.session_id = *sid;
  return VerifiedToken{std::move(claims), TokenError::kNone};
}

}  // namespace faultline::api::auth
