#pragma once

// Secrets at rest (GitHub tokens): AES-256-GCM under FAULTLINE_ENCRYPTION_KEY,
// stored as "<key id>.<base64(nonce || ciphertext || tag)>". The key id names
// the key that sealed the text, so the key can be rotated: the variable takes
// a comma-separated list, the first key seals, every key opens, and
// `faultline-api reseal` moves what is stored onto the first key.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/config.hpp"

namespace faultline {

class SecretBox {
 public:
  // Each key is 32 raw bytes; the first one seals.
  explicit SecretBox(std::vector<std::string> keys);
  explicit SecretBox(std::string key) : SecretBox(std::vector<std::string>{std::move(key)}) {}

  // FAULTLINE_ENCRYPTION_KEY: one key or a comma-separated list, each 64 hex
  // digits or base64 of 32 bytes. Without it, production refuses to start;
  // development gets a random key for the process (secrets stored then cannot
  // be read after a restart), with a warning.
  static SecretBox from(const Environment& env);

  std::string seal(std::string_view plaintext) const;
  // Nothing when no key of this box sealed the text, or it was altered.
  std::optional<std::string> open(std::string_view sealed) const;

  // The id of the key that seals (8 hex digits derived from the key).
  const std::string& sealing_key_id() const { return keys_.front().id; }
  // The key id a sealed text names ("" for text sealed before key ids).
  static std::string key_id_of(std::string_view sealed);

 private:
  static std::optional<std::string> open_with(std::string_view key, std::string_view sealed);

  struct Key {
    std::string id;
    std::string bytes;
  };
  std::vector<Key> keys_;
};

}  // namespace faultline
