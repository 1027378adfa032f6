#include "api/api_request.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "common/crypto.hpp"

namespace faultline::api {

std::optional<std::string> ApiRequest::query_value(const std::string& key) const {
  const auto it = query.find(key);
  if (it == query.end())
    return std::nullopt;
  return it->second;
}

std::optional<std::string_view> ApiRequest::header(const std::string& name) const {
  const auto found = headers.find(name);
  if (found == headers.end())
    return std::nullopt;
  return found->second;
}

const auth::Principal& ApiRequest::user() const {
  if (!principal)
    throw std::logic_error("a public route asked for the caller: " + path);
  return *principal;
}

std::string ApiRequest::user_agent() const {
  const auto header = headers.find("user-agent");
  return header == headers.end() ? std::string() : printable_ascii(header->second, 512);
}

std::string request_id_of(const std::map<std::string, std::string>& headers) {
  const auto given = headers.find("x-request-id");
  if (given != headers.end() && !given->second.empty() && given->second.size() <= 64 &&
      std::all_of(given->second.begin(), given->second.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' ||
               c == '-';
      }))
    return given->second;
  const auto bytes = crypto::random_bytes(16);
  return crypto::to_hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string printable_ascii(std::string_view text, std::size_t max_bytes) {
  std::string out;
  for (const char c : text) {
    if (out.size() == max_bytes)
      break;
    if (c >= 0x20 && c < 0x7f)
      out += c;
  }
  return out;
}

std::optional<std::string> url_decode(const std::string& text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size())
        return std::nullopt;
      const int hi = crypto::hex_value(text[i + 1]), lo = crypto::hex_value(text[i + 2]);
      if (hi < 0 || lo < 0)
        return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

std::optional<std::map<std::string, std::string>> parse_form(const std::string& body) {
  std::map<std::string, std::string> form;
  std::size_t start = 0;
  while (start < body.size()) {
    const auto end = std::min(body.find('&', start), body.size());
    const std::string pair = body.substr(start, end - start);
    start = end + 1;
    if (pair.empty())
      continue;
    const auto equals = pair.find('=');
    const auto name = url_decode(pair.substr(0, equals));
    const auto value =
        url_decode(equals == std::string::npos ? std::string() : pair.substr(equals + 1));
    if (!name || !value || name->empty() || !form.emplace(*name, *value).second)
      return std::nullopt;
  }
  return form;
}

}  // namespace faultline::api
