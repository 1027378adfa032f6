#include "processors/failure_signature.hpp"

#include <re2/re2.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <deque>
#include <utility>
#include <vector>

#include "common/crypto.hpp"

namespace faultline::processors {
namespace {

// The chosen error lines at most, and the lines taken when none looks like an error.
constexpr std::size_t kMaxErrorLines = 8;
constexpr std::size_t kTailLines = 3;
constexpr std::size_t kSignatureHexDigits = 16;
// Shorter repository names and owners ("go", "ui") are too often plain words.
constexpr std::size_t kMinNameToReplace = 3;
// Hex runs at least this long, with a digit and a letter, are ids.
constexpr std::size_t kMinHexId = 7;

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool is_word(char c) {
  return is_digit(c) || is_alpha(c) || c == '_';
}

bool is_hex_letter(char c) {
  return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// One substitution of the normalisation, in the order they run.
struct Substitution {
  Substitution(const char* pattern, const char* rewrite_in)
      : regex(pattern, RE2::Quiet), rewrite(rewrite_in) {}
  RE2 regex;
  const char* rewrite;
};

// A path character: what ends a path in a message is a space, a quote, a
// bracket or punctuation that follows it.
#define FAULTLINE_PATH_CHAR R"([^\s'"`()<>\[\],;:=])"

const std::deque<Substitution>& substitutions() {
  static const std::deque<Substitution> all = [] {
    std::deque<Substitution> list;  // RE2 neither copies nor moves
    // Temporary directories before the workspace, which /home/runner/work/_temp is under.
    list.emplace_back("(?:[A-Za-z]:)?" FAULTLINE_PATH_CHAR
                      "*[/\\\\]_temp(?:[/\\\\]" FAULTLINE_PATH_CHAR
                      "*)?"
                      "|(?:/private)?/tmp\\b(?:/" FAULTLINE_PATH_CHAR
                      "*)?"
                      "|(?:/private)?/var/folders/" FAULTLINE_PATH_CHAR
                      "*"
                      "|(?i:[A-Z]:\\\\Users\\\\[^\\\\\\s]+\\\\AppData\\\\Local\\\\Temp)(?:"
                      "\\\\" FAULTLINE_PATH_CHAR
                      "*)?"
                      "|(?i:[A-Z]:\\\\Windows\\\\Temp)(?:\\\\" FAULTLINE_PATH_CHAR "*)?",
                      "<tmp>");
    // The runner's workspace, $GITHUB_WORKSPACE: <root>/<name>/<name>.
    list.emplace_back(
        R"((?:/home/runner/work|/Users/runner/work|/__w|/[^\s'"`:]*?/_work)/[^/\s'"`]+/[^/\s'"`:]+/?)"
        R"(|[A-Za-z]:\\(?:a|[^\s'"`:\\]*?\\_work)\\[^\\\s'"`]+\\[^\\\s'"`:]+\\?)",
        "");
    list.emplace_back(R"((?i)\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b)",
                      "<uuid>");
    list.emplace_back(
        R"(\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2}\b)?)"
        R"(|\b\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}(?: [+-]\d{4})?)"
        R"(|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2}(?: (?:GMT|UTC|[+-]\d{4}))?)"
        R"(|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d+)?)"
        R"(|\b\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?\b)"
        R"(|\b\d{4}-\d{2}-\d{2}T\d{2}_\d{2}_\d{2}_\d+Z)",  // npm's log file names
        "<time>");
    list.emplace_back(R"(\b\d{4}[-/]\d{2}[-/]\d{2}\b)", "<date>");
    list.emplace_back(R"(\b(?:\d{1,3}\.){3}\d{1,3}\b)", "<ip>");
    list.emplace_back(
        R"((<ip>|\blocalhost|\]|://[^/\s:@]+|\b(?:[A-Za-z0-9-]+\.)+(?:com|org|net|io|dev|local|internal|svc|cloud|app)):\d{1,5}\b)",
        R"(\1:<port>)");
    list.emplace_back(R"(\b0[xX][0-9a-fA-F]+\b)", "<hex>");
    list.emplace_back(R"(:\d+:\d+\b)", ":<pos>");
    list.emplace_back(R"((^|\s)\d+:\d+(\s))", R"(\1<pos>\2)");  // eslint's "  12:5  error"
    list.emplace_back(R"(\(\d+, ?\d+\))", "(<pos>)");
    list.emplace_back(
        R"(\b(?:\d+h)?(?:\d+m)?\d+(?:\.\d+)?(?:ms|µs|us|ns|s|m|h)\b)"
        R"(|\b\d+(?:\.\d+)? ?(?:ms|milliseconds?|seconds?|secs?|minutes?|mins?|hours?)\b)",
        "<duration>");
    return list;
  }();
  return all;
}

#undef FAULTLINE_PATH_CHAR

bool is_name_char(char c) {
  return is_word(c) || c == '-';
}

// `text` with every whole-word, case-insensitive occurrence of `word` replaced.
std::string replace_word(std::string_view text, std::string_view word,
                         std::string_view placeholder) {
  if (word.size() < kMinNameToReplace)
    return std::string(text);
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const std::size_t end = i + word.size();
    if (end <= text.size() && equals_ignoring_case(text.substr(i, word.size()), word) &&
        (i == 0 || !is_name_char(text[i - 1])) &&
        (end == text.size() || !is_name_char(text[end]))) {
      out.append(placeholder);
      i = end;
    } else {
      out.push_back(text[i]);
      ++i;
    }
  }
  return out;
}

std::string replace_repository(std::string text, std::string_view repository) {
  const std::size_t slash = repository.find('/');
  const std::string_view owner =
      slash == std::string_view::npos ? std::string_view{} : repository.substr(0, slash);
  const std::string_view name =
      slash == std::string_view::npos ? repository : repository.substr(slash + 1);
  if (!owner.empty() && !name.empty())
    text = replace_word(text, repository, "<repo>");
  text = replace_word(text, name, "<repo>");
  return replace_word(text, owner, "<owner>");
}

// Words after which a number is the cause itself: an exit code, an HTTP status.
bool names_a_code(std::string_view word, std::string_view separator) {
  constexpr std::array<std::string_view, 7> kCodeWords = {"code",  "status", "http",      "exit",
                                                          "errno", "signal", "statuscode"};
  if (separator.size() > 3 || separator.find_first_not_of(" :=#/") != std::string_view::npos)
    return false;
  if (std::any_of(kCodeWords.begin(), kCodeWords.end(),
                  [&](std::string_view code) { return equals_ignoring_case(word, code); }))
    return true;
  // make's "Error 2", never "error: 3 tests".
  return equals_ignoring_case(word, "error") && separator == " ";
}

// "404 Not Found": a status followed by its reason phrase.
bool before_reason_phrase(std::string_view number, std::string_view rest) {
  constexpr std::array<std::string_view, 12> kReasons = {
      " Not Found", " Forbidden", " Unauthorized", " Too Many", " Bad ",    " Service",
      " Internal",  " Gateway",   " Conflict",     " Gone",     " Request", " Unprocessable"};
  if (number.size() != 3 || number[0] < '1' || number[0] > '5')
    return false;
  return std::any_of(kReasons.begin(), kReasons.end(),
                     [&](std::string_view reason) { return rest.starts_with(reason); });
}

bool is_hex_id(std::string_view word) {
  if (word.size() < kMinHexId)
    return false;
  bool digit = false;
  bool letter = false;
  for (char c : word) {
    if (is_digit(c))
      digit = true;
    else if (is_hex_letter(c))
      letter = true;
    else
      return false;
  }
  return digit && letter;
}

// Hex ids become <hex>, numbers <n> unless they name the cause; words with
// letters (TS2322, E0308, ENOENT, v20) stay.
std::string replace_numbers(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::string_view previous_word;   // the last word that was not a number
  std::size_t previous_end = 0;     // where it ended in `text`
  bool after_http_version = false;  // "HTTP/1.1 404": the status follows the version
  std::size_t i = 0;
  while (i < text.size()) {
    if (!is_word(text[i])) {
      out.push_back(text[i]);
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && is_word(text[end]))
      ++end;
    const bool numeric = std::all_of(text.begin() + static_cast<std::ptrdiff_t>(i),
                                     text.begin() + static_cast<std::ptrdiff_t>(end), is_digit);
    if (!numeric) {
      const std::string_view word = text.substr(i, end - i);
      out.append(is_hex_id(word) ? std::string_view("<hex>") : word);
      previous_word = word;
      previous_end = end;
      after_http_version = false;
      i = end;
      continue;
    }
    // 1.4.0 is one number.
    while (end + 1 < text.size() && text[end] == '.' && is_digit(text[end + 1])) {
      ++end;
      while (end < text.size() && is_digit(text[end]))
        ++end;
    }
    // A number glued to a word ("12px" aside, which is a word) is left as it is.
    const std::string_view number = text.substr(i, end - i);
    const std::string_view separator = text.substr(previous_end, i - previous_end);
    const bool after_code_word = !previous_word.empty() && names_a_code(previous_word, separator);
    const bool keep = after_code_word || (after_http_version && separator == " ") ||
                      before_reason_phrase(number, text.substr(end));
    out.append(keep ? number : std::string_view("<n>"));
    after_http_version = after_code_word && equals_ignoring_case(previous_word, "http") &&
                         number.find('.') != std::string_view::npos;
    previous_word = {};
    previous_end = end;
    i = end;
  }
  return out;
}

std::string collapse_whitespace(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
      space = !out.empty();
      continue;
    }
    if (space)
      out.push_back(' ');
    space = false;
    out.push_back(c);
  }
  return out;
}

bool looks_like_error(const std::string& line) {
  static const RE2 kError(
      R"((?i)error|fail|fatal|exception|panic|denied|refused|timed out|timeout|killed|not found)"
      R"(|cannot|can't|unable|exit code|npm err!)"
      R"(|^E {3}|--- FAIL|✕|×|●)",
      RE2::Quiet);
  return RE2::PartialMatch(line, kError);
}

bool is_blank(const std::string& line) {
  return line.find_first_not_of(" \t") == std::string::npos;
}

}  // namespace

std::string normalize_error_line(std::string_view line, std::string_view repository) {
  std::string text(line);
  const auto& list = substitutions();
  // The temporary paths and the workspace go before the repository's name,
  // which the workspace path holds.
  RE2::GlobalReplace(&text, list[0].regex, list[0].rewrite);
  RE2::GlobalReplace(&text, list[1].regex, list[1].rewrite);
  text = replace_repository(std::move(text), repository);
  for (std::size_t i = 2; i < list.size(); ++i)
    RE2::GlobalReplace(&text, list[i].regex, list[i].rewrite);
  return collapse_whitespace(replace_numbers(text));
}

FailureSignature sign_failure(const FailureExcerpt& excerpt, std::string_view repository,
                              const FailureRules& rules) {
  FailureSignature result;
  std::vector<std::string> chosen;
  const auto choose = [&](const std::string& line) {
    std::string normalized = normalize_error_line(line, repository);
    if (normalized.empty() || std::find(chosen.begin(), chosen.end(), normalized) != chosen.end())
      return;
    if (chosen.empty())
      result.first_line = line;
    chosen.push_back(std::move(normalized));
  };
  for (const std::string& line : excerpt.lines) {
    if (chosen.size() == kMaxErrorLines)
      break;
    if (looks_like_error(line))
      choose(line);
  }
  if (chosen.empty()) {
    std::vector<const std::string*> tail;
    for (auto it = excerpt.lines.rbegin(); it != excerpt.lines.rend() && tail.size() < kTailLines;
         ++it) {
      if (!is_blank(*it))
        tail.push_back(&*it);
    }
    std::reverse(tail.begin(), tail.end());
    for (const std::string* line : tail)
      choose(*line);
  }
  for (const std::string& line : chosen) {
    if (!result.normalized_error.empty())
      result.normalized_error.push_back('\n');
    result.normalized_error.append(line);
  }
  const std::string hex = crypto::to_hex(crypto::sha256(
      normalize_error_line(excerpt.command, repository) + "\n" + result.normalized_error));
  result.signature = hex.substr(0, kSignatureHexDigits);
  result.category = rules.categorize(excerpt.lines);
  return result;
}

}  // namespace faultline::processors
