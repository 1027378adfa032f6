#include "api/api_request.hpp"

#include "common/crypto.hpp"

namespace faultline::api {

std::optional<std::string> ApiRequest::query_value(const std::string& key) const {
  const auto it = query.find(key);
  if (it == query.end())
    return std::nullopt;
  return it->second;
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

}  // namespace faultline::api
