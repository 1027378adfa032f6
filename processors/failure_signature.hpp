#pragma once

#include <string>
#include <string_view>

#include "processors/failure_context.hpp"
#include "processors/failure_rules.hpp"

namespace faultline::processors {

// One line with everything that differs between two occurrences of the same cause
// replaced by a placeholder.
//
// Placeholders: <tmp> (temporary directories: /tmp, /var/folders, RUNNER_TEMP
// and the like), <uuid>, <time> and <date>, <ip> and <port>, <hex> (0x...,
// and runs of 7 or more hex digits holding a digit and a letter: git SHAs,
// container ids), <pos> (file.ts:12:5, (12,5)), <duration> (12.5s, 3m2s,
// 120ms, 4.2 seconds), <n> (any other standalone number). Kept: the number
// after exit code/status, an HTTP status after HTTP, status, code or before
// its reason phrase, and codes such as TS2322, E0308, E404 or ENOENT (a word
// with letters is never a number). Removed: the runner's workspace prefix
// (/home/runner/work/<name>/<name>/, D:\a\<name>\<name>\, /__w/<name>/<name>/);
// `repository` ("owner/name") becomes <repo>, and so does its name alone, its
// owner alone <owner> (each as a whole word, case-insensitively, when three
// characters or longer). Runs of whitespace become one space, none at the ends.
std::string normalize_error_line(std::string_view line, std::string_view repository);

struct FailureSignature {
  std::string normalized_error;  // the chosen error lines, normalised, joined by "\n"
  std::string signature;   // first 16 hex digits of SHA-256 (common/crypto.hpp sha256/to_hex) of
                           // normalised command + "\n" + normalized_error
  std::string category;    // from FailureRules, "unknown" when no rule matches
  std::string first_line;  // the first chosen error line as it was (not normalised), for display
};

// The chosen error lines are those of `excerpt.lines` that look like errors
// (error, fail, fatal, exception, panic, denied, refused, timed out, timeout,
// killed, not found, cannot, unable, exit code, in any case; "npm ERR!",
// pytest's "E   ", "--- FAIL", the ✕ × ● test marks), in order, the first 8
// that differ once normalised; when none does, the last 3 non-empty lines.
// The category comes from every line of the excerpt, not only the chosen ones.
FailureSignature sign_failure(const FailureExcerpt& excerpt, std::string_view repository,
                              const FailureRules& rules);

}  // namespace faultline::processors
