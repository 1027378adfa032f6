// The job-log extractor: any bytes as a log, with or without the failing
// step's start. The excerpt stays within its limits and is valid UTF-8
// whatever the log holds.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/utf8.hpp"
#include "processors/failure_context.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view log(reinterpret_cast<const char*>(data), size);
  const faultline::processors::ExcerptLimits limits;
  // Half the inputs with a failing step's start, so errors before it are passed over.
  const std::string_view started = size % 2 ? "2024-05-01T12:00:00" : "";
  const auto excerpt = faultline::processors::extract_failure(log, "", limits, started);
  std::size_t bytes = 0;
  for (const auto& line : excerpt.lines) {
    bytes += line.size() + 1;
    if (line.size() > limits.max_line_bytes || !faultline::utf8::valid(line))
      std::abort();
  }
  if (bytes > limits.max_bytes || excerpt.lines.size() > limits.max_lines ||
      !faultline::utf8::valid(excerpt.step))
    std::abort();
  return 0;
}
