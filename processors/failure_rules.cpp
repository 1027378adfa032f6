#include "processors/failure_rules.hpp"

#include <re2/re2.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "common/failure_categories.hpp"
#include "common/json.hpp"
#include "schemas/embedded.hpp"

namespace faultline::processors {
namespace {

bool known_category(std::string_view category) {
  for (std::string_view known : kFailureCategories) {
    if (category == known)
      return true;
  }
  return false;
}

[[noreturn]] void malformed(std::size_t index, std::string_view category, std::string_view why) {
  std::string message = "failure rules: rules[" + std::to_string(index) + "]";
  if (!category.empty())
    message += " (" + std::string(category) + ")";
  message += ": ";
  message += why;
  throw std::runtime_error(message);
}

std::string read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error(std::string("failure rules: cannot read ") + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

struct FailureRules::Rule {
  Rule(std::string category_in, std::string_view pattern_in)
      : category(std::move(category_in)), pattern(pattern_in, options()) {}

  static RE2::Options options() {
    RE2::Options options;
    options.set_log_errors(false);
    return options;
  }

  std::string category;
  RE2 pattern;
};

FailureRules::FailureRules() = default;
FailureRules::FailureRules(FailureRules&&) noexcept = default;
FailureRules& FailureRules::operator=(FailureRules&&) noexcept = default;
FailureRules::~FailureRules() = default;

FailureRules FailureRules::parse(std::string_view json_text) {
  const json::Document document = json::parse(json_text);
  if (!document.IsObject())
    throw std::runtime_error("failure rules: the document is not a JSON object");
  const json::Value* rules = json::member(document, "rules");
  if (rules == nullptr || !rules->IsArray())
    throw std::runtime_error("failure rules: \"rules\" is not an array");

  FailureRules table;
  std::size_t index = 0;
  for (const json::Value& entry : rules->GetArray()) {
    if (!entry.IsObject())
      malformed(index, {}, "not an object");
    const auto category = json::string_member(entry, "category");
    if (!category || category->empty())
      malformed(index, {}, "missing \"category\"");
    if (!known_category(*category))
      malformed(index, *category, "unknown category");
    const auto pattern = json::string_member(entry, "pattern");
    if (!pattern || pattern->empty())
      malformed(index, *category, "missing \"pattern\"");
    const auto example = json::string_member(entry, "example");
    if (!example || example->empty())
      malformed(index, *category, "missing \"example\"");
    const auto why = json::string_member(entry, "why");
    if (!why || why->empty())
      malformed(index, *category, "missing \"why\"");

    auto rule = std::make_unique<const Rule>(std::string(*category), *pattern);
    if (!rule->pattern.ok())
      malformed(index, *category, "bad pattern: " + rule->pattern.error());
    if (!RE2::PartialMatch(*example, rule->pattern))
      malformed(index, *category, "its pattern does not match its example");
    table.rules_.push_back(std::move(rule));
    ++index;
  }
  return table;
}

const FailureRules& FailureRules::standard() {
  static const FailureRules table = [] {
    const char* path = std::getenv("FAULTLINE_FAILURE_RULES");  // NOLINT(concurrency-mt-unsafe)
    if (path != nullptr && *path != '\0')
      return parse(read_file(path));
    return parse(schemas::failure_rules_json());
  }();
  return table;
}

std::string FailureRules::categorize(const std::vector<std::string>& lines) const {
  for (const auto& rule : rules_) {
    for (const std::string& line : lines) {
      if (RE2::PartialMatch(line, rule->pattern))
        return rule->category;
    }
  }
  return std::string(kUnknownFailureCategory);
}

std::size_t FailureRules::size() const {
  return rules_.size();
}

}  // namespace faultline::processors
