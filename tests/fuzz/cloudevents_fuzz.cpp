// The CloudEvents header reader: any header names and values, as a consumer
// reads them off a Kafka message. A read event writes back to the same headers.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "common/cloudevents.hpp"

using namespace faultline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // name '=' value, one header per line.
  std::vector<kafka::Header> headers;
  const std::string input(reinterpret_cast<const char*>(data), size);
  std::size_t start = 0;
  while (start < input.size()) {
    auto end = input.find('\n', start);
    if (end == std::string::npos)
      end = input.size();
    const auto line = input.substr(start, end - start);
    const auto equals = line.find('=');
    headers.push_back({line.substr(0, equals),
                       equals == std::string::npos ? std::string() : line.substr(equals + 1)});
    start = end + 1;
  }
  if (const auto event = from_headers(headers)) {
    const auto again = from_headers(to_headers(*event));
    if (!again || again->id != event->id || again->type != event->type)
      std::abort();
  }
  return 0;
}
