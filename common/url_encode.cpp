#include "common/url_encode.hpp"

#include <cctype>

namespace faultline {

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

std::string url_encode_path(std::string_view path) {
  std::string out;
  for (std::size_t start = 0;;) {
    const auto slash = path.find('/', start);
    out += url_encode(path.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos)
      return out;
    out += '/';
    start = slash + 1;
  }
}

}  // namespace faultline
