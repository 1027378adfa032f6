#include "processors/failure_context.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>
#include <utility>

#include "common/utf8.hpp"

namespace faultline::processors {
namespace {

constexpr std::string_view kBom = "\xEF\xBB\xBF";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";

// The runner's workflow-command markers, as they appear in the served log.
constexpr std::string_view kGroupMarker = "##[group]";
constexpr std::string_view kEndGroupMarker = "##[endgroup]";
constexpr std::string_view kErrorMarker = "##[error]";
constexpr std::string_view kWarningMarker = "##[warning]";
constexpr std::string_view kNoticeMarker = "##[notice]";
constexpr std::string_view kStepPrefix = "Run ";
// What the runner prints when the steps are over and cleanup begins; nothing
// after it explains a failure.
constexpr std::string_view kPostJob = "Post job cleanup.";
constexpr std::string_view kOrphans = "Cleaning up orphan processes";

unsigned char byte_at(std::string_view s, std::size_t i) {
  return static_cast<unsigned char>(s[i]);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "2024-05-01T12:00:00" of a stamp: down to the second, as steps' times are.
constexpr std::size_t kStampSeconds = 19;

// "2024-05-01T12:00:00.1234567Z " is the runner's stamp; output that merely
// starts with something date-like keeps its text.
std::string_view strip_timestamp(std::string_view line) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd";
  static_assert(kShape.size() == kStampSeconds);
  if (line.size() <= kShape.size())
    return line;
  for (std::size_t i = 0; i < kShape.size(); ++i) {
    if (kShape[i] == 'd' ? !is_digit(line[i]) : line[i] != kShape[i])
      return line;
  }
  std::size_t i = kShape.size();
  if (line[i] == '.') {
    ++i;
    while (i < line.size() && is_digit(line[i]))
      ++i;
  }
  if (i == line.size() || line[i] != 'Z')
    return line;
  ++i;
  if (i == line.size())
    return line.substr(i);
  return line[i] == ' ' ? line.substr(i + 1) : line;
}

// Bytes taken by the escape sequence starting at `s[i]` (an ESC): CSI
// ("\x1b[1;31m"), OSC (hyperlinks, titles, up to BEL or ST) or a short ESC form.
// A sequence cut off by the end of the line ends there.
std::size_t escape_length(std::string_view s, std::size_t i) {
  std::size_t j = i + 1;
  if (j == s.size())
    return 1;
  if (s[j] == '[') {
    ++j;
    while (j < s.size() && byte_at(s, j) >= 0x30 && byte_at(s, j) <= 0x3F)
      ++j;
    while (j < s.size() && byte_at(s, j) >= 0x20 && byte_at(s, j) <= 0x2F)
      ++j;
    if (j < s.size() && byte_at(s, j) >= 0x40 && byte_at(s, j) <= 0x7E)
      ++j;
    return j - i;
  }
  if (s[j] == ']') {
    for (++j; j < s.size(); ++j) {
      if (s[j] == '\a')
        return j + 1 - i;
      if (s[j] == '\x1b' && j + 1 < s.size() && s[j + 1] == '\\')
        return j + 2 - i;
    }
    return j - i;
  }
  while (j < s.size() && byte_at(s, j) >= 0x20 && byte_at(s, j) <= 0x2F)
    ++j;
  if (j < s.size() && byte_at(s, j) >= 0x30 && byte_at(s, j) <= 0x7E)
    ++j;
  return j - i;
}

// Colour codes in front of a marker still leave it a marker.
std::string_view skip_leading_escapes(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size() && s[i] == '\x1b')
    i += escape_length(s, i);
  return s.substr(i);
}

// Appends `text` as a reader should see it: escapes and control characters
// (tabs aside) dropped, invalid UTF-8 replaced. Stops once `out` is longer than
// `cap`, since the line will be cut anyway and may be megabytes long.
void append_clean(std::string& out, std::string_view text, std::size_t cap) {
  std::size_t i = 0;
  while (i < text.size() && out.size() <= cap) {
    const unsigned char c = byte_at(text, i);
    if (c == 0x1B) {
      i += escape_length(text, i);
    } else if ((c < 0x20 && c != '\t') || c == 0x7F) {
      ++i;
    } else if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
    } else {
      const auto sequence = utf8::sequence_at(text, i);
      out.append(sequence.valid ? text.substr(i, sequence.length) : kReplacement);
      i += sequence.length;
    }
  }
}

bool is_blank(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const unsigned char c = byte_at(text, i);
    if (c == 0x1B)
      i += escape_length(text, i);
    else if (c <= 0x20 || c == 0x7F)
      ++i;
    else
      return false;
  }
  return true;
}

// What a step's "Run ..." header runs, or "" for no header.
std::string_view command_of(std::string_view header) {
  const std::string_view title = skip_leading_escapes(header);
  return title.starts_with(kStepPrefix) ? title.substr(kStepPrefix.size()) : std::string_view{};
}

// One line of the log, its marker (if any) already replaced by `prefix`.
struct LogLine {
  std::string_view text;
  std::string_view prefix;
};

bool is_blank(const LogLine& line) {
  return line.prefix.empty() && is_blank(line.text);
}

// Renders `line` within `max_bytes`, noting in `truncated` when it had to be cut.
std::string render(const LogLine& line, std::size_t max_bytes, bool& truncated) {
  std::string out(line.prefix);
  append_clean(out, line.text, max_bytes);
  while (!out.empty() && (out.back() == ' ' || out.back() == '\t'))
    out.pop_back();
  if (out.size() > max_bytes) {
    utf8::cut_to(out, max_bytes);
    truncated = true;
  }
  return out;
}

enum class Kind { kOutput, kStepHeader, kEndGroup, kError, kStepsOver };

struct Classified {
  Kind kind;
  LogLine line;
};

// What a line (timestamp already gone) means for the structure of the log.
Classified classify(std::string_view text) {
  const std::string_view body = skip_leading_escapes(text);
  if (body.starts_with(kGroupMarker)) {
    const std::string_view title = body.substr(kGroupMarker.size());
    // Groups that are not steps (the runner's set-up details, ::group:: from a
    // script) are output like any other, shown by their title.
    const Kind kind =
        skip_leading_escapes(title).starts_with(kStepPrefix) ? Kind::kStepHeader : Kind::kOutput;
    return {kind, {title, {}}};
  }
  if (body.starts_with(kEndGroupMarker))
    return {Kind::kEndGroup, {}};
  if (body.starts_with(kErrorMarker))
    return {Kind::kError, {body.substr(kErrorMarker.size()), "Error: "}};
  if (body.starts_with(kWarningMarker))
    return {Kind::kOutput, {body.substr(kWarningMarker.size()), "Warning: "}};
  if (body.starts_with(kNoticeMarker))
    return {Kind::kOutput, {body.substr(kNoticeMarker.size()), "Notice: "}};
  if (body.starts_with(kPostJob) || body.starts_with(kOrphans))
    return {Kind::kStepsOver, {}};
  return {Kind::kOutput, {text, {}}};
}

// The last lines pushed, up to a capacity. Grows only as lines arrive, so a
// generous limit costs nothing on a short log.
class RecentLines {
 public:
  explicit RecentLines(std::size_t capacity) : capacity_(capacity) {}

  void push(const LogLine& line) {
    if (capacity_ == 0) {
      dropped_ = dropped_ || !is_blank(line);
    } else if (slots_.size() < capacity_) {
      slots_.push_back(line);
    } else {
      dropped_ = dropped_ || !is_blank(slots_[next_]);
      slots_[next_] = line;
      next_ = (next_ + 1) % capacity_;
    }
  }

  void clear() {
    slots_.clear();
    next_ = 0;
    dropped_ = false;
  }

  // Whether a non-blank line was pushed out since the last clear().
  bool dropped() const { return dropped_; }

  std::vector<LogLine> oldest_first() const {
    std::vector<LogLine> lines(slots_.begin() + static_cast<std::ptrdiff_t>(next_), slots_.end());
    lines.insert(lines.end(), slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(next_));
    return lines;
  }

 private:
  std::size_t capacity_;
  std::vector<LogLine> slots_;
  std::size_t next_ = 0;
  bool dropped_ = false;
};

// Follows the log's steps line by line, remembering only what the excerpt can
// use: views into the log, never copies of it.
class FailureScan {
 public:
  FailureScan(std::size_t context_lines, std::size_t max_errors, std::string_view not_before)
      : step_output_(context_lines),
        tail_(context_lines),
        max_errors_(max_errors),
        not_before_(not_before) {}

  // False once nothing later in the log can change the excerpt. `stamp` is the
  // line's "YYYY-MM-DDTHH:MM:SS" (UTC), or "" if it had none.
  bool visit(std::string_view stamp, std::string_view text) {
    Classified line = classify(text);
    // An error stamped before the failing step began is that earlier step's output.
    if (line.kind == Kind::kError && !not_before_.empty() && !stamp.empty() && stamp < not_before_)
      line.kind = Kind::kOutput;
    return found_ ? visit_after_error(line) : visit_before_error(line);
  }

  bool found() const { return found_; }
  std::string_view error_step() const { return error_step_; }
  const std::vector<LogLine>& context() const { return context_; }
  bool context_dropped() const { return context_dropped_; }
  const std::vector<LogLine>& errors() const { return errors_; }
  bool errors_dropped() const { return errors_dropped_; }

  std::string_view last_step() const { return last_step_; }
  std::vector<LogLine> tail() const { return tail_.oldest_first(); }
  bool tail_dropped() const { return tail_.dropped(); }

 private:
  bool visit_before_error(const Classified& line) {
    switch (line.kind) {
      case Kind::kStepHeader:
        start_step(line.line.text);
        if (!steps_over_)
          last_step_ = line.line.text;
        in_step_header_ = true;
        break;
      case Kind::kEndGroup:
        in_step_header_ = false;
        break;
      case Kind::kStepsOver:
        start_step({});
        steps_over_ = true;
        break;
      case Kind::kError:
        found_ = true;
        error_step_ = step_;
        context_ = step_output_.oldest_first();
        context_dropped_ = step_output_.dropped();
        add_error(line.line);
        break;
      case Kind::kOutput:
        add_output(line.line);
        break;
    }
    return true;
  }

  // Only the failing step's further errors matter now.
  bool visit_after_error(const Classified& line) {
    if (line.kind == Kind::kStepHeader || line.kind == Kind::kStepsOver)
      return false;
    if (line.kind == Kind::kError)
      add_error(line.line);
    return true;
  }

  void start_step(std::string_view header) {
    step_ = header;
    step_output_.clear();
    in_step_header_ = false;
  }

  // The step's own group holds its script, shell and env: not output.
  void add_output(const LogLine& line) {
    if (in_step_header_)
      return;
    step_output_.push(line);
    if (!steps_over_ && !is_blank(line))
      tail_.push(line);
  }

  void add_error(const LogLine& line) {
    if (errors_.size() < max_errors_)
      errors_.push_back(line);
    else
      errors_dropped_ = true;
  }

  RecentLines step_output_;
  RecentLines tail_;  // for a log without an error marker
  std::size_t max_errors_;
  std::string_view not_before_;
  std::string_view step_;
  std::string_view last_step_;
  bool in_step_header_ = false;
  bool steps_over_ = false;

  bool found_ = false;
  std::string_view error_step_;
  std::vector<LogLine> context_;
  bool context_dropped_ = false;
  std::vector<LogLine> errors_;
  bool errors_dropped_ = false;
};

template <typename Visit>
void for_each_line(std::string_view log, Visit&& visit) {
  if (log.starts_with(kBom))
    log.remove_prefix(kBom.size());
  std::size_t start = 0;
  while (start < log.size()) {
    std::size_t end = log.find('\n', start);
    if (end == std::string_view::npos)
      end = log.size();
    std::string_view line = log.substr(start, end - start);
    while (!line.empty() && line.back() == '\r')
      line.remove_suffix(1);
    const std::string_view text = strip_timestamp(line);
    const std::string_view stamp =
        text.size() == line.size() ? std::string_view{} : line.substr(0, kStampSeconds);
    if (!visit(stamp, text))
      return;
    start = end + 1;
  }
}

// Lines and bytes still free in the excerpt.
class Budget {
 public:
  explicit Budget(const ExcerptLimits& limits)
      : lines_(limits.max_lines), bytes_(limits.max_bytes) {}

  // The longest line that still fits, its newline aside.
  std::size_t room() const { return lines_ == 0 || bytes_ == 0 ? 0 : bytes_ - 1; }

  bool take(const std::string& line) {
    if (lines_ == 0 || line.size() + 1 > bytes_)
      return false;
    --lines_;
    bytes_ -= line.size() + 1;
    return true;
  }

 private:
  std::size_t lines_;
  std::size_t bytes_;
};

std::vector<std::string> fit_errors(const std::vector<LogLine>& errors, const ExcerptLimits& limits,
                                    Budget& budget, bool& truncated) {
  std::vector<std::string> fitted;
  for (const LogLine& error : errors) {
    std::string line = render(error, limits.max_line_bytes, truncated);
    // The first error is the point of the excerpt: shortened rather than lost.
    if (fitted.empty() && line.size() > budget.room() && budget.room() > 0) {
      utf8::cut_to(line, budget.room());
      truncated = true;
    }
    if (!budget.take(line)) {
      truncated = true;
      break;
    }
    fitted.push_back(std::move(line));
  }
  return fitted;
}

void drop_leading_blanks(std::vector<std::string>& lines) {
  const auto first = std::find_if(lines.begin(), lines.end(),
                                  [](const std::string& line) { return !line.empty(); });
  lines.erase(lines.begin(), first);
}

// As much of the context as the errors left room for, nearest them first.
std::vector<std::string> fit_context(const std::vector<LogLine>& context,
                                     const ExcerptLimits& limits, Budget& budget, bool& truncated) {
  std::vector<std::string> rendered;
  rendered.reserve(context.size());
  for (const LogLine& line : context)
    rendered.push_back(render(line, limits.max_line_bytes, truncated));
  drop_leading_blanks(rendered);
  auto first = rendered.end();
  while (first != rendered.begin() && budget.take(*(first - 1)))
    --first;
  if (first != rendered.begin())
    truncated = true;
  rendered.erase(rendered.begin(), first);
  drop_leading_blanks(rendered);
  return rendered;
}

std::vector<std::string> fit(const std::vector<LogLine>& context,
                             const std::vector<LogLine>& errors, const ExcerptLimits& limits,
                             bool& truncated) {
  Budget budget(limits);
  std::vector<std::string> fitted_errors = fit_errors(errors, limits, budget, truncated);
  std::vector<std::string> lines = fit_context(context, limits, budget, truncated);
  lines.insert(lines.end(), std::make_move_iterator(fitted_errors.begin()),
               std::make_move_iterator(fitted_errors.end()));
  return lines;
}

}  // namespace

FailureExcerpt extract_failure(std::string_view log, std::string_view failing_step,
                               const ExcerptLimits& limits, std::string_view failing_step_started) {
  const auto scan_from = [&](std::string_view not_before) {
    FailureScan scan(std::min(limits.lines_before, limits.max_lines), limits.max_lines, not_before);
    for_each_line(log, [&scan](std::string_view stamp, std::string_view text) {
      return scan.visit(stamp, text);
    });
    return scan;
  };
  FailureScan scan = scan_from(failing_step_started);
  // No error from the failing step on: its time was off, so any error will do.
  if (!scan.found() && !failing_step_started.empty())
    scan = scan_from({});

  FailureExcerpt excerpt;
  std::string_view header;
  if (scan.found()) {
    excerpt.truncated = scan.context_dropped() || scan.errors_dropped();
    // An error the budget cannot hold still makes the excerpt incomplete.
    if (scan.errors().empty())
      excerpt.truncated = true;
    excerpt.lines = fit(scan.context(), scan.errors(), limits, excerpt.truncated);
    header = scan.error_step();
  } else {
    excerpt.truncated = scan.tail_dropped();
    excerpt.lines = fit(scan.tail(), {}, limits, excerpt.truncated);
    header = scan.last_step();
  }
  const std::string_view step = failing_step.empty() ? header : failing_step;
  excerpt.step = render({step, {}}, limits.max_line_bytes, excerpt.truncated);
  excerpt.command = render({command_of(header), {}}, limits.max_line_bytes, excerpt.truncated);
  return excerpt;
}

}  // namespace faultline::processors
