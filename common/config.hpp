#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace faultline {

// A variable that is present but unusable. The message names the variable, what
// was expected and what was found, so start-up failures explain themselves.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// Typed reads of FAULTLINE_* variables. Every reader takes the default used
// when the variable is unset or empty.
class Environment {
 public:
  // Reads the process environment.
  Environment();
  // For tests: exactly these variables.
  explicit Environment(std::map<std::string, std::string> variables);

  std::optional<std::string> find(const std::string& name) const;
  std::string text(const std::string& name, const std::string& fallback) const;
  std::int64_t integer(const std::string& name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max) const;
  // "250ms", "5s", "2m", "1h"; a bare number is seconds.
  std::chrono::milliseconds duration(const std::string& name,
                                     std::chrono::milliseconds fallback) const;
  // "host:port"; port 0 lets the kernel choose (tests).
  HostPort address(const std::string& name, const std::string& fallback) const;
  // Comma-separated, trimmed, empty items dropped.
  std::vector<std::string> list(const std::string& name) const;
  // Every variable starting with `prefix`, keyed by the rest of its name.
  std::map<std::string, std::string> with_prefix(const std::string& prefix) const;

  bool production() const;

 private:
  std::map<std::string, std::string> variables_;
};

std::chrono::milliseconds parse_duration(const std::string& text);
HostPort parse_host_port(const std::string& text);

}  // namespace faultline
