// The job-log extractor: any bytes as a log. The excerpt stays within its
// limits and is valid UTF-8 whatever the log holds.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "processors/failure_context.hpp"

namespace {

bool valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    const std::size_t length = c < 0x80         ? 1
                               : (c >> 5) == 6  ? 2
                               : (c >> 4) == 14 ? 3
                               : (c >> 3) == 30 ? 4
                                                : 0;
    if (length == 0 || i + length > text.size())
      return false;
    for (std::size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 2)
        return false;
    i += length;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view log(reinterpret_cast<const char*>(data), size);
  const faultline::processors::ExcerptLimits limits;
  const auto excerpt = faultline::processors::extract_failure(log, "", limits);
  std::size_t bytes = 0;
  for (const auto& line : excerpt.lines) {
    bytes += line.size() + 1;
    if (line.size() > limits.max_line_bytes || !valid_utf8(line))
      std::abort();
  }
  if (bytes > limits.max_bytes || excerpt.lines.size() > limits.max_lines ||
      !valid_utf8(excerpt.step))
    std::abort();
  return 0;
}
