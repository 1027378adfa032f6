#include "processors/fix/fix_prompt.hpp"

#include <re2/re2.h>

#include <set>
#include <stdexcept>

#include "common/utf8.hpp"
#include "schemas/embedded.hpp"

namespace faultline::processors::fix {
namespace {

// A path with a source or configuration file's extension, after a space,
// quote, parenthesis or the start of the line, up to a position or the end.
const RE2& path_pattern() {
  static const RE2 pattern(
      R"((?:^|[\s'"`(\[=])((?:[A-Za-z]:\\|/|\./)?[\w.@+-]+(?:[/\\][\w.@+-]+)*\.))"
      R"((js|jsx|mjs|cjs|ts|tsx|py|go|rs|java|kt|kts|scala|rb|php|cs|c|cc|cpp|h|hpp|swift|m|)"
      R"(yml|yaml|json|toml|cfg|ini|gradle|xml|sh|mk|tf|vue|svelte|dart|ex|exs|lua|sql|proto))"
      R"((?:$|[\s'"`)\]:,;(]))");
  if (!pattern.ok())
    throw std::logic_error("the file path pattern does not compile: " + pattern.error());
  return pattern;
}

// The runner's workspace, $GITHUB_WORKSPACE: <root>/<name>/<name>/.
const RE2& workspace_pattern() {
  static const RE2 pattern(
      R"(^(?:/home/runner/work|/Users/runner/work|/__w|[A-Za-z]:\\a|/[^\s'"`:]*?/_work)[/\\][^/\\]+[/\\][^/\\]+[/\\])");
  return pattern;
}

// The path relative to the repository, or "" when it is not the project's.
std::string repository_path(std::string path) {
  re2::StringPiece rest(path);
  if (RE2::Consume(&rest, workspace_pattern()))
    path = std::string(rest.data(), rest.size());
  else if (!path.empty() && (path.front() == '/' || (path.size() > 1 && path[1] == ':')))
    return "";
  for (auto& c : path)
    if (c == '\\')
      c = '/';
  while (path.starts_with("./"))
    path.erase(0, 2);
  for (const char* outside : {"node_modules/", "site-packages/", "dist-packages/", "vendor/",
                              ".cargo/", "go/pkg/mod/", "/usr/"})
    if (path.find(outside) != std::string::npos)
      return "";
  if (path.find("..") != std::string::npos || path.find("://") != std::string::npos)
    return "";
  return path;
}

}  // namespace

std::string fenced(const std::string& text) {
  std::string fence = "```";
  while (text.find(fence) != std::string::npos)
    fence += '`';
  return fence + "\n" + text + (text.empty() || text.back() == '\n' ? "" : "\n") + fence + "\n";
}

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += line + "\n";
  return out;
}

std::vector<std::string> named_paths(const std::vector<FailingJob>& jobs, std::size_t max) {
  std::vector<std::string> paths;
  std::set<std::string> seen;
  for (const auto& job : jobs)
    for (const auto& line : job.lines) {
      re2::StringPiece input(line);
      std::string stem, extension;
      while (paths.size() < max && RE2::FindAndConsume(&input, path_pattern(), &stem, &extension)) {
        auto path = repository_path(stem + extension);
        if (!path.empty() && seen.insert(path).second)
          paths.push_back(std::move(path));
      }
    }
  return paths;
}

bool failure_in_workflow(const FixQuestion& question) {
  for (const auto& job : question.jobs)
    for (const auto& line : job.lines)
      if (line.find("Invalid workflow file") != std::string::npos ||
          (!question.workflow_path.empty() &&
           line.find(question.workflow_path) != std::string::npos))
        return true;
  return false;
}

std::string_view instructions() {
  return schemas::fix_prompt();
}

std::string question_text(const FixQuestion& q, std::size_t max_bytes) {
  std::string head = "Repository: " + q.repository + "\nBranch: " + q.branch +
                     "\nFailing commit: " + q.base_sha + "\nWorkflow: " + q.workflow_name +
                     (q.workflow_path.empty() ? "" : " (" + q.workflow_path + ")") +
                     "\nRun: " + q.run_url + "\n";
  for (const auto& job : q.jobs)
    head += "\nFailing job: " + job.name + "\nFailing step: " + job.step + "\nError lines:\n" +
            fenced(joined(job.lines));
  const auto budget = max_bytes > instructions().size() ? max_bytes - instructions().size() : 0;
  if (head.size() > budget)
    utf8::cut_to(head, budget);
  std::string files, left_out;
  for (const auto& [path, text] : q.files) {
    const std::string block = "\nFile " + path + " at the failing commit:\n" + fenced(text);
    // Room is kept for the note naming what was left out.
    if (head.size() + files.size() + block.size() + 200 + path.size() <= budget)
      files += block;
    else
      left_out += (left_out.empty() ? "" : ", ") + path;
  }
  if (!left_out.empty()) {
    const std::string note = "\nLeft out, too large for the prompt: " + left_out + ".\n";
    if (head.size() + files.size() + note.size() <= budget)
      files += note;
  }
  return head + files;
}

Answer read_answer(std::string_view content) {
  Answer answer;
  std::string_view diff, rest = content;
  for (const std::string_view opening : {"```diff", "```patch", "```"}) {
    const auto start = content.find(opening);
    if (start == std::string_view::npos)
      continue;
    const auto body = content.find('\n', start);
    if (body == std::string_view::npos)
      continue;
    const auto end = content.find("\n```", body);
    diff = content.substr(body + 1,
                          end == std::string_view::npos ? std::string_view::npos : end - body);
    rest = content.substr(0, start);
    break;
  }
  if (diff.empty()) {
    for (const std::string_view marker : {"\ndiff --git ", "\n--- "}) {
      const auto at = content.starts_with(marker.substr(1)) ? 0 : content.find(marker);
      if (at == std::string_view::npos)
        continue;
      const auto from = at == 0 ? 0 : at + 1;
      diff = content.substr(from);
      rest = content.substr(0, from);
      break;
    }
  }
  answer.diff = std::string(diff);
  auto reason = rest;
  if (const auto at = reason.find("Reason:"); at != std::string_view::npos)
    reason.remove_prefix(at + 7);
  while (!reason.empty() && std::isspace(static_cast<unsigned char>(reason.front())))
    reason.remove_prefix(1);
  while (!reason.empty() && std::isspace(static_cast<unsigned char>(reason.back())))
    reason.remove_suffix(1);
  answer.reason = std::string(reason);
  utf8::cut_to(answer.reason, 2000);
  return answer;
}

}  // namespace faultline::processors::fix
