#include "common/utf8.hpp"

namespace faultline::utf8 {

Sequence sequence_at(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t at) { return static_cast<unsigned char>(text[at]); };
  const unsigned char lead = byte(i);
  if (lead < 0x80)
    return {1, true};
  std::size_t trailing = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    trailing = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    trailing = 2;
    low = lead == 0xE0 ? 0xA0 : 0x80;
    high = lead == 0xED ? 0x9F : 0xBF;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    trailing = 3;
    low = lead == 0xF0 ? 0x90 : 0x80;
    high = lead == 0xF4 ? 0x8F : 0xBF;
  } else {
    return {1, false};
  }
  for (std::size_t n = 1; n <= trailing; ++n) {
    if (i + n == text.size() || byte(i + n) < low || byte(i + n) > high)
      return {n, false};
    low = 0x80;
    high = 0xBF;
  }
  return {trailing + 1, true};
}

bool valid(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto sequence = sequence_at(text, i);
    if (!sequence.valid)
      return false;
    i += sequence.length;
  }
  return true;
}

void cut_to(std::string& s, std::size_t cap) {
  static constexpr std::string_view kEllipsis = "\xE2\x80\xA6";
  if (s.size() <= cap)
    return;
  const bool marked = cap >= kEllipsis.size();
  std::size_t keep = marked ? cap - kEllipsis.size() : cap;
  while (keep > 0 && (static_cast<unsigned char>(s[keep]) & 0xC0) == 0x80)
    --keep;
  s.resize(keep);
  if (marked)
    s.append(kEllipsis);
}

}  // namespace faultline::utf8
