#pragma once

#include <cstddef>
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

}  // namespace faultline::utf8
