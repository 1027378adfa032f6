#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::processors {

// Decides what a failure's cause is from its excerpt's lines, by a table of
// regular expressions (RE2: linear time on untrusted log text). Each rule names
// one category of schemas/failure_rules.json's list; the first rule, in the
// table's order, that matches any line wins.
class FailureRules {
 public:
  // Throws std::runtime_error naming the rule (index and category) that is malformed: unknown
  // category, bad regex, missing example, an example its own rule does not match.
  static FailureRules parse(std::string_view json_text);
  // The table compiled into the binary (schemas/failure_rules.json), or the file named by
  // FAULTLINE_FAILURE_RULES when set. Read once; throws on the first call if malformed.
  static const FailureRules& standard();

  // "unknown" when nothing matches.
  std::string categorize(const std::vector<std::string>& lines) const;
  std::size_t size() const;

  FailureRules(FailureRules&&) noexcept;
  FailureRules& operator=(FailureRules&&) noexcept;
  FailureRules(const FailureRules&) = delete;
  FailureRules& operator=(const FailureRules&) = delete;
  ~FailureRules();

 private:
  struct Rule;
  FailureRules();
  std::vector<std::unique_ptr<const Rule>> rules_;
};

}  // namespace faultline::processors
