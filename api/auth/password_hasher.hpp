#pragma once

// Passwords, hashed with Argon2id (libargon2) into PHC strings
// ("$argon2id$v=19$m=19456,t=2,p=1$salt$hash"), so the parameters travel with
// each hash and a stronger setting can be rolled out by rehashing at login.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/config.hpp"

namespace faultline::api::auth {

struct Argon2Parameters {
  // OWASP's Password Storage Cheat Sheet: m = 19 MiB, t = 2, p = 1 at least.
  std::uint32_t memory_kib = 19456;
  std::uint32_t iterations = 2;
  std::uint32_t lanes = 1;

  // FAULTLINE_ARGON2_MEMORY_KIB / _ITERATIONS / _LANES; nothing weaker than
  // the defaults is accepted.
  static Argon2Parameters from(const Environment& env);
  bool operator==(const Argon2Parameters&) const = default;
};

class PasswordHasher {
 public:
  explicit PasswordHasher(Argon2Parameters parameters = {});

  std::string hash(std::string_view password) const;
  // False for a wrong password and for anything that is not an Argon2id hash.
  bool verify(std::string_view encoded, std::string_view password) const;
  // True when `encoded` was made with other parameters than the current ones.
  bool needs_rehash(std::string_view encoded) const;

  // Verifying against this costs what verifying a real hash costs, so an
  // unknown email takes as long to refuse as a wrong password.
  const std::string& decoy() const { return decoy_; }

  const Argon2Parameters& parameters() const { return parameters_; }

 private:
  Argon2Parameters parameters_;
  std::string decoy_;
};

}  // namespace faultline::api::auth
