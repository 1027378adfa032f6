#include "api/auth/password_hasher.hpp"

#include <argon2.h>

#include <cstdio>
#include <stdexcept>

#include "common/crypto.hpp"

namespace faultline::api::auth {
namespace {

constexpr std::size_t kSaltBytes = 16, kHashBytes = 32;

}  // namespace

Argon2Parameters Argon2Parameters::from(const Environment& env) {
  const Argon2Parameters floor;
  Argon2Parameters p;
  p.memory_kib = static_cast<std::uint32_t>(
      env.integer("FAULTLINE_ARGON2_MEMORY_KIB", floor.memory_kib, floor.memory_kib, 4 << 20));
  p.iterations = static_cast<std::uint32_t>(
      env.integer("FAULTLINE_ARGON2_ITERATIONS", floor.iterations, floor.iterations, 64));
  p.lanes = static_cast<std::uint32_t>(env.integer("FAULTLINE_ARGON2_LANES", floor.lanes, 1, 16));
  return p;
}

PasswordHasher::PasswordHasher(Argon2Parameters parameters) : parameters_(parameters) {
  decoy_ = hash(crypto::random_bytes(24));
}

std::string PasswordHasher::hash(std::string_view password) const {
  const std::string salt = crypto::random_bytes(kSaltBytes);
  std::string encoded(argon2_encodedlen(parameters_.iterations, parameters_.memory_kib,
                                        parameters_.lanes, kSaltBytes, kHashBytes, Argon2_id),
                      '\0');
  const int rc = argon2id_hash_encoded(
      parameters_.iterations, parameters_.memory_kib, parameters_.lanes, password.data(),
      password.size(), salt.data(), salt.size(), kHashBytes, encoded.data(), encoded.size());
  if (rc != ARGON2_OK)
    throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
  encoded.resize(encoded.find('\0'));
  return encoded;
}

bool PasswordHasher::verify(std::string_view encoded, std::string_view password) const {
  if (encoded.rfind("$argon2id$", 0) != 0)
    return false;
  const std::string terminated(encoded);
  return argon2id_verify(terminated.c_str(), password.data(), password.size()) == ARGON2_OK;
}

bool PasswordHasher::needs_rehash(std::string_view encoded) const {
  Argon2Parameters found;
  unsigned version = 0;
  const std::string terminated(encoded);
  if (std::sscanf(terminated.c_str(), "$argon2id$v=%u$m=%u,t=%u,p=%u$", &version, &found.memory_kib,
                  &found.iterations, &found.lanes) != 4)
    return true;
  return version != ARGON2_VERSION_NUMBER || !(found == parameters_);
}

}  // namespace faultline::api::auth
