#include "common/log.hpp"

#include <unistd.h>

#include <atomic>
#include <mutex>

#include "common/config.hpp"
#include "common/json.hpp"
#include "common/time.hpp"
#include "common/trace_context.hpp"

namespace faultline::log {
namespace {

std::atomic<Level> minimum_level{Level::info};
std::string component_name = "faultline";  // set once at start-up, before threads

const char* level_name(Level level) {
  switch (level) {
    case Level::debug:
      return "debug";
    case Level::info:
      return "info";
    case Level::warn:
      return "warn";
    case Level::error:
      return "error";
  }
  return "info";
}

}  // namespace

Level parse_level(const std::string& text) {
  if (text == "debug")
    return Level::debug;
  if (text == "info")
    return Level::info;
  if (text == "warn")
    return Level::warn;
  if (text == "error")
    return Level::error;
  throw ConfigError("FAULTLINE_LOG_LEVEL: expected debug, info, warn or error, got '" + text + "'");
}

void configure(std::string component, Level minimum) {
  component_name = std::move(component);
  minimum_level = minimum;
}

bool enabled(Level level) {
  return level >= minimum_level.load(std::memory_order_relaxed);
}

std::string format(Level level, std::string_view message, std::initializer_list<Field> fields) {
  return json::object([&](json::Writer& out) {
    out.Key("ts");
    json::write(out, utc_now_rfc3339());
    out.Key("level");
    out.String(level_name(level));
    out.Key("msg");
    json::write(out, message);
    out.Key("component");
    json::write(out, component_name);
    if (const auto* trace = trace::current()) {
      out.Key("trace_id");
      json::write(out, trace->trace_id);
      out.Key("span_id");
      json::write(out, trace->span_id);
    }
    for (const auto& field : fields) {
      json::write(out, field.key);  // a key is written like any string
      std::visit(
          [&](const auto& value) {
            using T = std::decay_t<decltype(value)>;
            if constexpr (std::is_same_v<T, std::string_view>)
              json::write(out, value);
            else if constexpr (std::is_same_v<T, std::int64_t>)
              out.Int64(value);
            else if constexpr (std::is_same_v<T, double>)
              out.Double(value);
            else
              out.Bool(value);
          },
          field.value);
    }
  });
}

void write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!enabled(level))
    return;
  std::string line = format(level, message, fields);
  line.push_back('\n');
  // One write() per line keeps lines whole when threads log at once.
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  [[maybe_unused]] const auto written = ::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace faultline::log
