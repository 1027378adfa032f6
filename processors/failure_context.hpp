#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace faultline::processors {

struct ExcerptLimits {
  std::size_t lines_before = 20;     // context kept before the first error line
  std::size_t max_lines = 60;        // lines in the excerpt, errors included
  std::size_t max_line_bytes = 400;  // a longer line is cut (at a UTF-8 boundary), ending in "…"
  std::size_t max_bytes = 8192;      // the whole excerpt: every line plus its newline
};

struct FailureExcerpt {
  // The hint if given, else the "Run ..." group header the first error falls in
  // (or, without an error, the last one), else "".
  std::string step;
  // Clean, valid UTF-8 lines, as a reader of an issue should see them.
  std::vector<std::string> lines;
  // Something was left out because of the limits: earlier output of the step,
  // further error lines, or the end of a long line.
  bool truncated = false;
  // The command of the step the lines come from: its "Run ..." header without
  // "Run " (the header's first line, cleaned like `step`), whatever `step` is,
  // so that a custom step name from the jobs API does not hide it; "" if
  // unknown. Last, so that {step, lines, truncated} still initialises the rest.
  std::string command;
};

// The part of a GitHub Actions job log that explains the failure, small enough
// to quote in an issue. `log` is the raw text GitHub's API serves; `failing_step`
// is the failed step's name from the jobs API when known (the log carries only
// the "Run ..." headers, never custom step names), and `failing_step_started`
// when it started, as utc_seconds() gives it ("" if unknown): error lines
// stamped before it belong to earlier steps that failed without failing the
// job (`continue-on-error`) and are passed over, unless no later one exists.
//
// Every line loses its runner timestamp, ANSI escapes, other control characters,
// trailing whitespace and its "\r"; invalid UTF-8 becomes U+FFFD. The excerpt is
// the output that precedes the first "##[error]" line taken (see above) within
// its step (never the step's own "Run" group, with its script, nor an earlier
// step), then that error and the step's later "##[error]" lines, each rendered
// "Error: <message>". Without an error marker it is the last non-blank output
// lines, whatever their step, before the post-job steps. Error lines come first
// when the limits bite; context is then kept nearest the error first. One pass
// over `log`, which is never copied (a second, from the start, only when no
// error follows `failing_step_started`).
FailureExcerpt extract_failure(std::string_view log, std::string_view failing_step,
                               const ExcerptLimits& limits = {},
                               std::string_view failing_step_started = {});

}  // namespace faultline::processors
