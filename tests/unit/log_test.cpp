#include "common/log.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/config.hpp"
#include "common/json.hpp"
#include "common/time.hpp"

namespace faultline {
namespace {

// Sets the component and minimum level for one test and puts the defaults back.
class LogTest : public ::testing::Test {
 protected:
  void SetUp() override { log::configure("unit-test", log::Level::info); }
  void TearDown() override { log::configure("faultline", log::Level::info); }
};

TEST_F(LogTest, FormatIsOneJsonObjectLine) {
  const std::string line = log::format(log::Level::warn, "broker slow",
                                       {{"delivery_id", "abc-123"},
                                        {"attempt", 3},
                                        {"ratio", 0.5},
                                        {"retrying", true},
                                        {"bytes", std::size_t{4096}}});
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  const auto d = json::parse(line);
  ASSERT_TRUE(d.IsObject()) << line;
  const auto ts = json::string_member(d, "ts");
  ASSERT_TRUE(ts) << line;
  EXPECT_TRUE(is_rfc3339(*ts)) << *ts;
  EXPECT_EQ(json::string_member(d, "level"), "warn");
  EXPECT_EQ(json::string_member(d, "msg"), "broker slow");
  EXPECT_EQ(json::string_member(d, "component"), "unit-test");
  EXPECT_EQ(json::string_member(d, "delivery_id"), "abc-123");
  EXPECT_EQ(json::integer_member(d, "attempt"), 3);
  ASSERT_TRUE(d.HasMember("ratio") && d["ratio"].IsDouble()) << line;
  EXPECT_DOUBLE_EQ(d["ratio"].GetDouble(), 0.5);
  ASSERT_TRUE(d.HasMember("retrying") && d["retrying"].IsBool()) << line;
  EXPECT_TRUE(d["retrying"].GetBool());
  EXPECT_EQ(json::integer_member(d, "bytes"), 4096);
}

TEST_F(LogTest, FieldOrderStartsWithTheFixedKeys) {
  const std::string line = log::format(log::Level::info, "m", {{"request_id", "r1"}});
  EXPECT_EQ(line.rfind(R"({"ts":")", 0), 0u) << line;
  const auto level = line.find(R"("level":"info")");
  const auto msg = line.find(R"("msg":"m")");
  const auto component = line.find(R"("component":"unit-test")");
  const auto request = line.find(R"("request_id":"r1")");
  ASSERT_NE(request, std::string::npos) << line;
  EXPECT_LT(level, msg);
  EXPECT_LT(msg, component);
  EXPECT_LT(component, request);
}

TEST_F(LogTest, EscapesQuotesNewlinesAndControlCharacters) {
  const std::string message = "said \"no\"\nthen left\t\x01 \\ done";
  const std::string line =
      log::format(log::Level::error, message, {{"detail", "multi\nline \"value\""}});
  EXPECT_EQ(line.find('\n'), std::string::npos) << line;
  EXPECT_EQ(line.find('\x01'), std::string::npos) << line;
  EXPECT_NE(line.find(R"(said \"no\"\nthen left)"), std::string::npos) << line;
  const auto d = json::parse(line);
  EXPECT_EQ(json::string_member(d, "msg"), message);
  EXPECT_EQ(json::string_member(d, "detail"), "multi\nline \"value\"");
  EXPECT_EQ(json::string_member(d, "level"), "error");
}

TEST_F(LogTest, EveryLevelHasItsName) {
  const std::pair<log::Level, const char*> levels[] = {{log::Level::debug, "debug"},
                                                       {log::Level::info, "info"},
                                                       {log::Level::warn, "warn"},
                                                       {log::Level::error, "error"}};
  for (const auto& [level, name] : levels)
    EXPECT_EQ(json::string_member(json::parse(log::format(level, "x", {})), "level"), name);
}

TEST_F(LogTest, EnabledFollowsTheMinimumLevel) {
  EXPECT_FALSE(log::enabled(log::Level::debug));
  EXPECT_TRUE(log::enabled(log::Level::info));
  EXPECT_TRUE(log::enabled(log::Level::error));
  log::configure("unit-test", log::Level::warn);
  EXPECT_FALSE(log::enabled(log::Level::info));
  EXPECT_TRUE(log::enabled(log::Level::warn));
  log::configure("unit-test", log::Level::debug);
  EXPECT_TRUE(log::enabled(log::Level::debug));
}

TEST(LogLevel, ParsesTheFourLevels) {
  EXPECT_EQ(log::parse_level("debug"), log::Level::debug);
  EXPECT_EQ(log::parse_level("info"), log::Level::info);
  EXPECT_EQ(log::parse_level("warn"), log::Level::warn);
  EXPECT_EQ(log::parse_level("error"), log::Level::error);
}

TEST(LogLevel, RejectsOthersNamingTheValue) {
  for (const std::string bad : {"verbose", "trace", "", "warning"}) {
    try {
      log::parse_level(bad);
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("FAULTLINE_LOG_LEVEL"), std::string::npos);
      EXPECT_NE(std::string(e.what()).find("'" + bad + "'"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace faultline
