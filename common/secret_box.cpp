#include "common/secret_box.hpp"

#include <openssl/evp.h>

#include <memory>

#include "common/base64.hpp"
#include "common/crypto.hpp"
#include "common/log.hpp"

namespace faultline {
namespace {

constexpr std::size_t kKeySize = 32, kNonceSize = 12, kTagSize = 16;

struct CipherDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using CipherPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherDeleter>;

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

std::optional<std::string> from_hex(std::string_view hex) {
  if (hex.size() % 2)
    return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = crypto::hex_value(hex[i]), lo = crypto::hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

}  // namespace

SecretBox::SecretBox(std::vector<std::string> keys) {
  if (keys.empty())
    throw ConfigError("at least one encryption key is needed");
  for (auto& key : keys) {
    if (key.size() != kKeySize)
      throw ConfigError("encryption key must be 32 bytes");
    // A fingerprint, not the key: says which key sealed a text without revealing it.
    auto id = crypto::to_hex(crypto::sha256("faultline-key-id:" + key)).substr(0, 8);
    keys_.push_back(Key{std::move(id), std::move(key)});
  }
}

SecretBox SecretBox::from(const Environment& env) {
  if (env.find("FAULTLINE_ENCRYPTION_KEY")) {
    std::vector<std::string> keys;
    for (const auto& text : env.list("FAULTLINE_ENCRYPTION_KEY")) {
      if (auto key = from_hex(text); key && key->size() == kKeySize)
        keys.push_back(std::move(*key));
      else if (auto key64 = base64_decode(text); key64 && key64->size() == kKeySize)
        keys.push_back(std::move(*key64));
      else
        throw ConfigError(
            "FAULTLINE_ENCRYPTION_KEY: expected 32 bytes as 64 hex digits or base64, "
            "comma-separated when rotating");
    }
    if (keys.empty())
      throw ConfigError("FAULTLINE_ENCRYPTION_KEY: empty");
    return SecretBox(std::move(keys));
  }
  if (env.production())
    throw ConfigError("FAULTLINE_ENCRYPTION_KEY: required in production");
  log::warn(
      "FAULTLINE_ENCRYPTION_KEY is not set; secrets stored now are unreadable after a restart");
  return SecretBox(crypto::random_bytes(kKeySize));
}

std::string SecretBox::key_id_of(std::string_view sealed) {
  const auto dot = sealed.find('.');
  return dot == std::string_view::npos ? std::string() : std::string(sealed.substr(0, dot));
}

std::string SecretBox::seal(std::string_view plaintext) const {
  const Key& key = keys_.front();
  const std::string nonce = crypto::random_bytes(kNonceSize);
  std::string out = nonce;
  out.resize(kNonceSize + plaintext.size() + kTagSize);
  CipherPtr ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  auto* cipher = reinterpret_cast<unsigned char*>(out.data()) + kNonceSize;
  if (!ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key.bytes), bytes(nonce)) !=
          1 ||
      EVP_EncryptUpdate(ctx.get(), cipher, &n, bytes(plaintext),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), cipher + n, &n) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagSize, cipher + plaintext.size()) !=
          1)
    throw std::runtime_error("AES-256-GCM encryption failed");
  return key.id + "." + base64_encode(out);
}

std::optional<std::string> SecretBox::open(std::string_view sealed) const {
  const auto dot = sealed.find('.');
  // Text sealed before key ids existed names no key: every key is tried.
  const std::string_view id = dot == std::string_view::npos ? "" : sealed.substr(0, dot);
  for (const auto& key : keys_)
    if (id.empty() || key.id == id)
      if (auto plain =
              open_with(key.bytes, dot == std::string_view::npos ? sealed : sealed.substr(dot + 1)))
        return plain;
  return std::nullopt;
}

std::optional<std::string> SecretBox::open_with(std::string_view key, std::string_view sealed) {
  const auto raw = base64_decode(sealed);
  if (!raw || raw->size() < kNonceSize + kTagSize)
    return std::nullopt;
  const std::size_t length = raw->size() - kNonceSize - kTagSize;
  std::string plain(length, '\0');
  std::string tag = raw->substr(kNonceSize + length);
  CipherPtr ctx(EVP_CIPHER_CTX_new());
  int n = 0;
  auto* out = reinterpret_cast<unsigned char*>(plain.data());
  if (!ctx ||
      EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(key), bytes(*raw)) != 1 ||
      EVP_DecryptUpdate(ctx.get(), out, &n, bytes(*raw) + kNonceSize, static_cast<int>(length)) !=
          1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagSize, tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out + n, &n) != 1)
    return std::nullopt;
  return plain;
}

}  // namespace faultline
