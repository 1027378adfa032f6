#pragma once

// Secrets at rest (GitHub tokens, per-repository webhook secrets): AES-256-GCM
// under FAULTLINE_ENCRYPTION_KEY, stored as base64(nonce || ciphertext || tag).

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "common/config.hpp"

namespace faultline {

class SecretBox {
 public:
  // `key` is 32 raw bytes.
  explicit SecretBox(std::string key);

  // FAULTLINE_ENCRYPTION_KEY: 64 hex digits or base64 of 32 bytes. Without it,
  // production refuses to start; development gets a random key for the process
  // (secrets stored then cannot be read after a restart), with a warning.
  static SecretBox from(const Environment& env);

  std::string seal(std::string_view plaintext) const;
  // Nothing when the text was not sealed by this key or was altered.
  std::optional<std::string> open(std::string_view sealed) const;

 private:
  std::string key_;
};

}  // namespace faultline
