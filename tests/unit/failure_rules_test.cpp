#include "processors/failure_rules.hpp"

#include <gtest/gtest.h>

#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/json.hpp"
#include "schemas/embedded.hpp"

namespace faultline::processors {
namespace {

using Lines = std::vector<std::string>;

// The message parse() throws for `text`, "" if it does not throw.
std::string parse_error(const std::string& text) {
  try {
    FailureRules::parse(text);
  } catch (const std::runtime_error& error) {
    return error.what();
  }
  return "";
}

std::string table(const std::string& rules) {
  return R"({"rules":[)" + rules + "]}";
}

const std::string kGoodRule =
    R"({"category":"code/build","pattern":"BUILD FAILED","example":"BUILD FAILED in 12s","why":"gradle"})";

TEST(FailureRules, StandardTableIsTheEmbeddedOne) {
  const json::Document document = json::parse(schemas::failure_rules_json());
  const json::Value* rules = json::member(document, "rules");
  ASSERT_NE(rules, nullptr);
  EXPECT_EQ(FailureRules::standard().size(), rules->GetArray().Size());
  EXPECT_GE(FailureRules::standard().size(), 40U);
}

// No rule is shadowed by an earlier one of another category: the whole table
// gives every rule's example its own rule's category.
TEST(FailureRules, EveryExampleGetsItsOwnRulesCategory) {
  const json::Document document = json::parse(schemas::failure_rules_json());
  const FailureRules& rules = FailureRules::standard();
  std::set<std::string> categories;
  std::size_t index = 0;
  for (const json::Value& rule : json::member(document, "rules")->GetArray()) {
    const std::string category(*json::string_member(rule, "category"));
    const std::string example(*json::string_member(rule, "example"));
    EXPECT_EQ(rules.categorize({example}), category) << "rules[" << index << "]: " << example;
    categories.insert(category);
    ++index;
  }
  EXPECT_EQ(categories, (std::set<std::string>{"code/build", "code/test", "code/lint",
                                               "code/security", "platform/infrastructure",
                                               "platform/network", "platform/dependencies",
                                               "platform/credentials", "platform/timeout"}));
}

TEST(FailureRules, NothingMatchingIsUnknown) {
  const FailureRules& rules = FailureRules::standard();
  EXPECT_EQ(rules.categorize({}), "unknown");
  EXPECT_EQ(rules.categorize({"", "Error: Process completed with exit code 1."}), "unknown");
  EXPECT_EQ(rules.categorize({"found 0 vulnerabilities"}), "unknown");
}

TEST(FailureRules, FirstRuleInTheTableWinsWhateverTheLineOrder) {
  const FailureRules rules = FailureRules::parse(table(
      R"({"category":"platform/timeout","pattern":"canceled","example":"canceled","why":"a"},)"
      R"({"category":"code/test","pattern":"FAIL","example":"FAIL x","why":"b"})"));
  EXPECT_EQ(rules.size(), 2U);
  EXPECT_EQ(rules.categorize({"FAIL x", "The operation was canceled."}), "platform/timeout");
  EXPECT_EQ(rules.categorize({"noise", "FAIL x"}), "code/test");
}

TEST(FailureRules, EmptyTableKnowsNothing) {
  const FailureRules rules = FailureRules::parse(R"({"rules":[]})");
  EXPECT_EQ(rules.size(), 0U);
  EXPECT_EQ(rules.categorize({"BUILD FAILED in 12s"}), "unknown");
}

TEST(FailureRules, OtherMembersOfTheDocumentAreIgnored) {
  const FailureRules rules =
      FailureRules::parse(R"({"about":["notes"],"rules":[)" + kGoodRule + "]}");
  EXPECT_EQ(rules.categorize({"BUILD FAILED in 3s"}), "code/build");
}

TEST(FailureRules, MalformedRuleIsNamed) {
  EXPECT_EQ(parse_error(table(
                kGoodRule + R"(,{"category":"code/typo","pattern":"x","example":"x","why":"y"})")),
            "failure rules: rules[1] (code/typo): unknown category");
  EXPECT_EQ(parse_error(table(R"({"category":"unknown","pattern":"x","example":"x","why":"y"})")),
            "failure rules: rules[0] (unknown): unknown category");
  EXPECT_EQ(parse_error(table(R"({"pattern":"x","example":"x","why":"y"})")),
            "failure rules: rules[0]: missing \"category\"");

  const std::string bad_regex = parse_error(
      table(kGoodRule + "," + kGoodRule +
            R"(,{"category":"code/test","pattern":"(unclosed","example":"(unclosed","why":"y"})"));
  EXPECT_EQ(bad_regex.rfind("failure rules: rules[2] (code/test): bad pattern: ", 0), 0U)
      << bad_regex;

  EXPECT_EQ(parse_error(table(R"({"category":"code/lint","pattern":"x","why":"y"})")),
            "failure rules: rules[0] (code/lint): missing \"example\"");
  EXPECT_EQ(parse_error(table(R"({"category":"code/lint","pattern":"x","example":"","why":"y"})")),
            "failure rules: rules[0] (code/lint): missing \"example\"");
  EXPECT_EQ(parse_error(table(
                R"({"category":"code/lint","pattern":"eslint","example":"prettier","why":"y"})")),
            "failure rules: rules[0] (code/lint): its pattern does not match its example");
  EXPECT_EQ(parse_error(table(R"({"category":"code/lint","pattern":"x","example":"x"})")),
            "failure rules: rules[0] (code/lint): missing \"why\"");
  EXPECT_EQ(parse_error(table(R"({"category":"code/lint","example":"x","why":"y"})")),
            "failure rules: rules[0] (code/lint): missing \"pattern\"");
  EXPECT_EQ(parse_error(table(R"("code/lint")")), "failure rules: rules[0]: not an object");
}

TEST(FailureRules, MalformedDocumentIsRejected) {
  EXPECT_EQ(parse_error(R"({"rule":[]})"), "failure rules: \"rules\" is not an array");
  EXPECT_EQ(parse_error(R"([])"), "failure rules: the document is not a JSON object");
  EXPECT_NE(parse_error(R"({"rules":[)"), "");
}

// RE2 runs in time linear in the line: a pattern that backtracking engines
// take exponential time over is harmless.
TEST(FailureRules, PathologicalPatternStaysLinear) {
  const FailureRules rules = FailureRules::parse(
      table(R"({"category":"code/test","pattern":"^(a+)+$","example":"aaa","why":"y"})"));
  const std::string line = std::string(100000, 'a') + "!";
  EXPECT_EQ(rules.categorize({line}), "unknown");
}

}  // namespace
}  // namespace faultline::processors
