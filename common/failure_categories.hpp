#pragma once

// The cause categories of issue 15, as schemas/failure_rules.json names them:
// what a failing job's log says went wrong. "unknown" is what no rule matched.

#include <array>
#include <string_view>

namespace faultline {

inline constexpr std::string_view kUnknownFailureCategory = "unknown";

// Every category a rule may name (not "unknown").
inline constexpr std::array<std::string_view, 9> kFailureCategories = {
    "code/build",
    "code/test",
    "code/lint",
    "code/security",
    "platform/infrastructure",
    "platform/network",
    "platform/dependencies",
    "platform/credentials",
    "platform/timeout",
};

}  // namespace faultline
