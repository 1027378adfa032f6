// A language model's answer is untrusted text: whatever it says, reading it
// (processors/fix/fix_prompt.hpp) and validating its diff with libgit2
// (processors/fix/patch.hpp) answers new files or a rejection with one of the
// documented reasons, and nothing it lets through lies outside the limits or
// the repository, deletes a file or touches a workflow.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <variant>

#include "processors/fix/fix_prompt.hpp"
#include "processors/fix/patch.hpp"

using namespace faultline::processors::fix;

namespace {

void require(bool condition) {
  if (!condition)
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Files files{{"src/app.js", "const port = 80;\nmodule.exports = port;\n"},
                           {"src/app.test.js", "test('port', () => expect(port).toBe(8080));\n"},
                           {".github/workflows/ci.yml", "on: push\n"}};
  static const std::set<std::string> reasons{"not-a-diff", "does-not-apply", "too-large",
                                             "forbidden-path"};
  const std::string content(reinterpret_cast<const char*>(data), size);
  const auto answer = read_answer(content);
  require(answer.reason.size() <= 2000);
  named_paths({{"job", "step", {content}}}, 5);

  PatchLimits limits;
  limits.max_files = 2;
  const auto result = apply_patch(answer.diff.empty() ? content : answer.diff, files, limits);
  if (const auto* refused = std::get_if<Rejection>(&result)) {
    require(reasons.count(refused->reason) == 1);
    return 0;
  }
  const auto& changed = std::get<Files>(result);
  require(!changed.empty() && changed.size() <= limits.max_files);
  for (const auto& [path, text] : changed) {
    require(!path.empty() && path.front() != '/' && path.rfind(".github/workflows/", 0) != 0);
    for (std::size_t start = 0; start <= path.size();) {
      const auto end = std::min(path.find('/', start), path.size());
      const auto part = path.substr(start, end - start);
      require(!part.empty() && part != "." && part != ".." && part != ".git");
      start = end + 1;
    }
  }
  return 0;
}
