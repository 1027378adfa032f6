#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace faultline::utf8 {

struct Sequence {
  std::size_t length;  // when invalid: the maximal ill-formed subpart (one U+FFFD)
  bool valid;
};

// The sequence starting at `text[i]`, per the Unicode standard's table of
// well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF).
Sequence sequence_at(std::string_view text, std::size_t i);

// True when every sequence of `text` is well formed.
bool valid(std::string_view text);

// Shortens valid UTF-8 `s` to at most `cap` bytes, ending in "…" when there is
// room for it, without splitting a character.
void cut_to(std::string& s, std::size_t cap);

}  // namespace faultline::utf8
