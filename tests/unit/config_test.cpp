#include "common/config.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <string>

namespace faultline {
namespace {

// Environment from exactly these variables (a braced list is ambiguous with its copy constructor).
Environment env_of(std::map<std::string, std::string> variables) {
  return Environment(std::move(variables));
}

using namespace std::chrono_literals;

// Runs `call`, expecting a ConfigError whose message contains every one of `parts`.
void expect_config_error(const std::function<void()>& call,
                         std::initializer_list<std::string> parts) {
  try {
    call();
    ADD_FAILURE() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    const std::string message = e.what();
    for (const auto& part : parts)
      EXPECT_NE(message.find(part), std::string::npos)
          << "message '" << message << "' lacks '" << part << "'";
  }
}

TEST(Environment, FindTreatsUnsetAndBlankAlike) {
  const Environment env = env_of({{"A", "value"}, {"EMPTY", ""}, {"BLANK", "  \t"}});
  EXPECT_EQ(env.find("A"), "value");
  EXPECT_EQ(env.find("EMPTY"), std::nullopt);
  EXPECT_EQ(env.find("BLANK"), std::nullopt);
  EXPECT_EQ(env.find("UNSET"), std::nullopt);
  EXPECT_EQ(env.text("A", "fallback"), "value");
  EXPECT_EQ(env.text("EMPTY", "fallback"), "fallback");
  EXPECT_EQ(env.text("UNSET", "fallback"), "fallback");
}

TEST(Environment, IntegerReadsWithinRange) {
  const Environment env = env_of({{"N", "42"}, {"SPACED", " 7 "}, {"NEG", "-3"}, {"EMPTY", ""}});
  EXPECT_EQ(env.integer("N", 1, 0, 100), 42);
  EXPECT_EQ(env.integer("SPACED", 1, 0, 100), 7);
  EXPECT_EQ(env.integer("NEG", 1, -10, 10), -3);
  EXPECT_EQ(env.integer("UNSET", 5, 0, 100), 5);
  EXPECT_EQ(env.integer("EMPTY", 5, 0, 100), 5);
  EXPECT_EQ(env.integer("N", 1, 42, 42), 42);  // bounds are inclusive
}

TEST(Environment, IntegerOutOfRangeNamesVariableAndValue) {
  const Environment env = env_of({{"FAULTLINE_THREADS", "70000"}, {"FAULTLINE_LOW", "-1"}});
  expect_config_error([&] { env.integer("FAULTLINE_THREADS", 2, 1, 64); },
                      {"FAULTLINE_THREADS", "70000"});
  expect_config_error([&] { env.integer("FAULTLINE_LOW", 2, 0, 64); }, {"FAULTLINE_LOW", "-1"});
}

TEST(Environment, IntegerNotANumberNamesVariableAndValue) {
  for (const std::string bad : {"abc", "12abc", "1.5", "0x10", "99999999999999999999999"}) {
    const Environment env = env_of({{"FAULTLINE_N", bad}});
    expect_config_error([&] { env.integer("FAULTLINE_N", 2, 0, 1000); }, {"FAULTLINE_N", bad});
  }
}

TEST(ParseDuration, Units) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("5s"), 5s);
  EXPECT_EQ(parse_duration("2m"), 2min);
  EXPECT_EQ(parse_duration("1h"), 1h);
  EXPECT_EQ(parse_duration("7"), 7s);  // a bare number is seconds
  EXPECT_EQ(parse_duration(" 250ms "), 250ms);
}

TEST(ParseDuration, RejectsNonsense) {
  for (const char* bad : {"5x", "ms", "", "-5s", "1.5s", "5 s", "s5", "5sec"})
    EXPECT_THROW(parse_duration(bad), ConfigError) << bad;
}

TEST(Environment, DurationReadsAndFallsBack) {
  const Environment env = env_of({{"T", "2m"}, {"MS", "1500ms"}});
  EXPECT_EQ(env.duration("T", 1s), 2min);
  EXPECT_EQ(env.duration("MS", 1s), 1500ms);
  EXPECT_EQ(env.duration("UNSET", 1234ms), 1234ms);
}

TEST(Environment, DurationErrorsNameVariableAndValue) {
  const Environment env = env_of({{"FAULTLINE_TIMEOUT", "5x"}, {"FAULTLINE_ZERO", "0s"}});
  expect_config_error([&] { env.duration("FAULTLINE_TIMEOUT", 1s); }, {"FAULTLINE_TIMEOUT", "5x"});
  // A zero duration is never what anyone meant.
  expect_config_error([&] { env.duration("FAULTLINE_ZERO", 1s); }, {"FAULTLINE_ZERO", "0s"});
}

TEST(ParseHostPort, HostAndPort) {
  const auto a = parse_host_port("127.0.0.1:8080");
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 8080);
  const auto b = parse_host_port("localhost:0");
  EXPECT_EQ(b.host, "localhost");
  EXPECT_EQ(b.port, 0);
  const auto c = parse_host_port("0.0.0.0:65535");
  EXPECT_EQ(c.port, 65535);
}

TEST(ParseHostPort, RejectsBadPortsAndMissingColon) {
  for (const char* bad : {"localhost", "localhost:", "localhost:65536", "localhost:-1",
                          "localhost:http", ":8080", "", "localhost:80x"})
    EXPECT_THROW(parse_host_port(bad), ConfigError) << bad;
}

TEST(Environment, AddressReadsFallsBackAndNamesBadValues) {
  const Environment env = env_of({{"FAULTLINE_INGEST_ADDR", "0.0.0.0:9000"},
                                  {"FAULTLINE_BAD_ADDR", "localhost:99999"},
                                  {"FAULTLINE_NO_COLON", "localhost"}});
  const auto set = env.address("FAULTLINE_INGEST_ADDR", "127.0.0.1:8081");
  EXPECT_EQ(set.host, "0.0.0.0");
  EXPECT_EQ(set.port, 9000);
  const auto fallback = env.address("UNSET", "127.0.0.1:8081");
  EXPECT_EQ(fallback.host, "127.0.0.1");
  EXPECT_EQ(fallback.port, 8081);
  expect_config_error([&] { env.address("FAULTLINE_BAD_ADDR", "127.0.0.1:1"); },
                      {"FAULTLINE_BAD_ADDR", "localhost:99999"});
  expect_config_error([&] { env.address("FAULTLINE_NO_COLON", "127.0.0.1:1"); },
                      {"FAULTLINE_NO_COLON", "localhost"});
}

TEST(Environment, ListTrimsAndDropsEmpties) {
  const Environment env = env_of({{"L", " a , ,b,, c ,"}, {"ONE", "solo"}, {"COMMAS", ",,,"}});
  EXPECT_EQ(env.list("L"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(env.list("ONE"), (std::vector<std::string>{"solo"}));
  EXPECT_TRUE(env.list("COMMAS").empty());
  EXPECT_TRUE(env.list("UNSET").empty());
}

TEST(Environment, WithPrefixStripsThePrefix) {
  const Environment env = env_of({{"FAULTLINE_KAFKA_SECURITY_PROTOCOL", "SSL"},
                                  {"FAULTLINE_KAFKA_BROKERS", "b:9092"},
                                  {"FAULTLINE_KAFKA_", "nameless"},
                                  {"FAULTLINE_KAFKAX", "no"},
                                  {"OTHER_FAULTLINE_KAFKA_X", "no"}});
  const auto found = env.with_prefix("FAULTLINE_KAFKA_");
  EXPECT_EQ(found, (std::map<std::string, std::string>{{"BROKERS", "b:9092"},
                                                       {"SECURITY_PROTOCOL", "SSL"}}));
  EXPECT_TRUE(env.with_prefix("NOPE_").empty());
}

TEST(Environment, ProductionMode) {
  EXPECT_FALSE(env_of({}).production());
  EXPECT_TRUE(env_of({{"FAULTLINE_ENV", "production"}}).production());
  EXPECT_FALSE(env_of({{"FAULTLINE_ENV", "development"}}).production());
  const Environment other = env_of({{"FAULTLINE_ENV", "staging"}});
  expect_config_error([&] { other.production(); }, {"FAULTLINE_ENV", "staging"});
}

}  // namespace
}  // namespace faultline
