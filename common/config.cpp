#include "common/config.hpp"

#include <algorithm>
#include <charconv>
#include <cstdlib>

extern char** environ;

namespace faultline {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r\n");
  if (first == std::string::npos)
    return {};
  const auto last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

std::optional<std::int64_t> parse_integer(const std::string& text) {
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc{} || ptr != end || text.empty())
    return std::nullopt;
  return value;
}

}  // namespace

std::chrono::milliseconds parse_duration(const std::string& raw) {
  const std::string text = trim(raw);
  std::size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9')
    ++digits;
  const auto number = parse_integer(text.substr(0, digits));
  const std::string unit = text.substr(digits);
  if (!number)
    throw ConfigError("expected a duration such as 500ms, 5s, 2m or 1h");
  if (unit == "ms")
    return std::chrono::milliseconds(*number);
  if (unit == "s" || unit.empty())
    return std::chrono::seconds(*number);
  if (unit == "m")
    return std::chrono::minutes(*number);
  if (unit == "h")
    return std::chrono::hours(*number);
  throw ConfigError("unknown duration unit '" + unit + "' (use ms, s, m or h)");
}

HostPort parse_host_port(const std::string& raw) {
  const std::string text = trim(raw);
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw ConfigError("expected host:port, such as 127.0.0.1:8080");
  const auto port = parse_integer(text.substr(colon + 1));
  if (!port || *port < 0 || *port > 65535)
    throw ConfigError("port must be a number from 0 to 65535");
  return HostPort{text.substr(0, colon), static_cast<std::uint16_t>(*port)};
}

Environment::Environment() {
  for (char** entry = environ; entry && *entry; ++entry) {
    const std::string pair = *entry;
    const auto eq = pair.find('=');
    if (eq != std::string::npos && pair.rfind("FAULTLINE_", 0) == 0)
      variables_.emplace(pair.substr(0, eq), pair.substr(eq + 1));
  }
}

Environment::Environment(std::map<std::string, std::string> variables)
    : variables_(std::move(variables)) {}

std::optional<std::string> Environment::find(const std::string& name) const {
  const auto it = variables_.find(name);
  if (it == variables_.end() || trim(it->second).empty())
    return std::nullopt;
  return it->second;
}

std::string Environment::text(const std::string& name, const std::string& fallback) const {
  return find(name).value_or(fallback);
}

std::int64_t Environment::integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                                  std::int64_t max) const {
  const auto raw = find(name);
  if (!raw)
    return fallback;
  const auto value = parse_integer(trim(*raw));
  if (!value || *value < min || *value > max)
    throw ConfigError(name + ": expected a whole number from " + std::to_string(min) + " to " +
                      std::to_string(max) + ", got '" + *raw + "'");
  return *value;
}

std::chrono::milliseconds Environment::duration(const std::string& name,
                                                std::chrono::milliseconds fallback) const {
  const auto raw = find(name);
  if (!raw)
    return fallback;
  try {
    const auto value = parse_duration(*raw);
    if (value.count() <= 0)
      throw ConfigError("must be greater than zero");
    return value;
  } catch (const ConfigError& e) {
    throw ConfigError(name + ": " + e.what() + ", got '" + *raw + "'");
  }
}

HostPort Environment::address(const std::string& name, const std::string& fallback) const {
  const auto raw = find(name);
  try {
    return parse_host_port(raw.value_or(fallback));
  } catch (const ConfigError& e) {
    throw ConfigError(name + ": " + e.what() + ", got '" + raw.value_or(fallback) + "'");
  }
}

std::vector<std::string> Environment::list(const std::string& name) const {
  std::vector<std::string> items;
  const std::string raw = text(name, "");
  std::size_t start = 0;
  while (start <= raw.size()) {
    auto comma = raw.find(',', start);
    if (comma == std::string::npos)
      comma = raw.size();
    std::string item = trim(raw.substr(start, comma - start));
    if (!item.empty())
      items.push_back(std::move(item));
    start = comma + 1;
  }
  return items;
}

std::map<std::string, std::string> Environment::with_prefix(const std::string& prefix) const {
  std::map<std::string, std::string> found;
  for (const auto& [name, value] : variables_)
    if (name.size() > prefix.size() && name.rfind(prefix, 0) == 0)
      found.emplace(name.substr(prefix.size()), value);
  return found;
}

bool Environment::production() const {
  const std::string mode = text("FAULTLINE_ENV", "development");
  if (mode == "production")
    return true;
  if (mode == "development")
    return false;
  throw ConfigError("FAULTLINE_ENV: expected 'development' or 'production', got '" + mode + "'");
}

}  // namespace faultline
