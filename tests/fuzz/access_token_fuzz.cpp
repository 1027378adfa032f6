// JWT parsing: arbitrary tokens, and arbitrary header and payload JSON under a
// valid signature (so the claim reader is reached). A token is accepted only
// with every claim right; nothing crashes.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/auth/access_token.hpp"

using faultline::api::auth::AccessTokens;
using faultline::api::auth::TokenError;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const AccessTokens tokens(std::string(32, 'k'));
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::int64_t kNow = 1795000000;

  auto verified = tokens.verify(input, kNow);
  if (verified.error == TokenError::kNone && !verified.claims)
    std::abort();

  // header '\n' payload, signed with the key.
  const auto split = input.find('\n');
  if (split != std::string_view::npos) {
    verified =
        tokens.verify(tokens.sign_raw(input.substr(0, split), input.substr(split + 1)), kNow);
    if (verified.error == TokenError::kNone &&
        (!verified.claims || verified.claims->expires_at <= kNow || verified.claims->user_id <= 0))
      std::abort();
  }
  return 0;
}
