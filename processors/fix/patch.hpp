#pragma once

// Whether a model's diff may become a commit: it must be a unified diff, it
// must apply exactly (libgit2's git_apply_to_tree, no fuzz) to the files as
// they were fetched at the failing commit, stay within the limits, and touch
// no path a proposal may not. What it answers is the files' new text.

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <variant>

namespace faultline::processors::fix {

struct PatchLimits {
  std::size_t max_files = 5;
  std::size_t max_bytes = 64 * 1024;  // of the diff
  // .github/workflows/ may change only when the failure is in the workflow itself.
  bool workflow_allowed = false;
};

// Why a diff was refused: not-a-diff, does-not-apply, too-large or
// forbidden-path, and a sentence saying which file and how.
struct Rejection {
  std::string reason;
  std::string detail;
};

using Files = std::map<std::string, std::string>;  // path -> whole text

// The changed and added files with their new text, or why not. `files` are
// those fetched; a diff changing any other existing file does not apply.
// Deletions, renames and paths outside the repository (absolute, "..",
// ".git/") are forbidden.
std::variant<Files, Rejection> apply_patch(std::string_view diff, const Files& files,
                                           const PatchLimits& limits);

// A diff as models write it (no "diff --git" lines, paths with or without
// a/ and b/, a date after a tab) in the form git's parser reads.
std::string to_git_diff(std::string_view diff);

}  // namespace faultline::processors::fix
