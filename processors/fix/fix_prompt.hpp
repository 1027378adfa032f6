#pragma once

// What a fix proposal's model is asked, and how its answer is read. The
// instructions are schemas/fix_prompt.v1.md; the question is the failure
// (job, step, error lines, the run's page) and the files at the failing
// commit, cut to fit the prompt's limit.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "processors/fix/patch.hpp"

namespace faultline::processors::fix {

struct FailingJob {
  std::string name;
  std::string step;
  std::vector<std::string> lines;
};

struct FixQuestion {
  std::string repository;  // owner/name
  std::string branch;
  std::string base_sha;
  std::string run_url;
  std::string workflow_name;
  std::string workflow_path;  // .github/workflows/…, "" if unknown
  std::vector<FailingJob> jobs;
  Files files;  // the files named and the workflow file, as fetched
};

// The repository's files that `lines` name (src/app.test.js:12:5, File
// "/home/runner/work/x/x/app/models.py", ./cmd/main.go), relative to the
// repository, in the order named, at most `max`. Paths outside the
// workspace (/usr/…, node_modules/, site-packages/) are not the project's.
std::vector<std::string> named_paths(const std::vector<FailingJob>& jobs, std::size_t max);

// True when the failure is the workflow's own: its error lines name the
// workflow file, or a workflow (as GitHub says "Invalid workflow file").
bool failure_in_workflow(const FixQuestion& question);

// `text` as a Markdown code block whose fence it cannot close early, ending
// in a newline; what the prompt and the pull request quote lines and files in.
std::string fenced(const std::string& text);

// The lines, each ending in a newline.
std::string joined(const std::vector<std::string>& lines);

// The instructions, as versioned: schemas/fix_prompt.v1.md.
std::string_view instructions();
constexpr const char* kPromptVersion = "fix_prompt.v1";

// The question as the model's user message, at most `max_bytes` together
// with the instructions: files that do not fit whole are left out, and the
// message says which.
std::string question_text(const FixQuestion& question, std::size_t max_bytes);

struct Answer {
  std::string reason;  // at most 2,000 bytes
  std::string diff;    // "" when there is none
};

// The "Reason:" paragraph and the diff of a ```diff (or ```patch) block, or
// of the text from its first "diff --git" or "--- " line when unfenced.
Answer read_answer(std::string_view content);

}  // namespace faultline::processors::fix
