#include "processors/fix/patch.hpp"

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>
#include <git2/sys/repository.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <vector>

namespace faultline::processors::fix {
namespace {

template <typename T, void (*Free)(T*)>
struct Freer {
  void operator()(T* p) const { Free(p); }
};
template <typename T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Freer<T, Free>>;

using Repository = Owned<git_repository, git_repository_free>;
using Odb = Owned<git_odb, git_odb_free>;
using Tree = Owned<git_tree, git_tree_free>;
using Diff = Owned<git_diff, git_diff_free>;
using Index = Owned<git_index, git_index_free>;
using Blob = Owned<git_blob, git_blob_free>;
using Patch = Owned<git_patch, git_patch_free>;

std::string last_error() {
  const git_error* e = git_error_last();
  return e && e->message ? e->message : "unknown libgit2 error";
}

void check(int rc, const char* what) {
  if (rc < 0)
    throw std::runtime_error(std::string(what) + ": " + last_error());
}

void initialise_once() {
  static const int initialised = git_libgit2_init();
  if (initialised < 0)
    throw std::runtime_error("libgit2 did not initialise");
}

// A repository with no files on disk: its objects live in memory and go with it.
Repository repository_in_memory() {
  git_repository* repo = nullptr;
  check(git_repository_new(&repo), "git_repository_new");
  Repository owned(repo);
  git_odb* odb = nullptr;
  check(git_odb_new(&odb), "git_odb_new");
  const Odb owned_odb(odb);
  git_odb_backend* memory = nullptr;
  check(git_mempack_new(&memory), "git_mempack_new");
  // The odb owns the backend once added.
  if (git_odb_add_backend(odb, memory, 1) < 0) {
    memory->free(memory);
    check(-1, "git_odb_add_backend");
  }
  git_repository_set_odb(repo, odb);
  return owned;
}

Tree tree_of(git_repository* repo, const Files& files) {
  std::vector<git_tree_update> updates;
  updates.reserve(files.size());
  for (const auto& [path, text] : files) {
    git_tree_update update{};
    update.action = GIT_TREE_UPDATE_UPSERT;
    update.filemode = GIT_FILEMODE_BLOB;
    update.path = path.c_str();
    check(git_blob_create_from_buffer(&update.id, repo, text.data(), text.size()),
          "git_blob_create_from_buffer");
    updates.push_back(update);
  }
  git_oid id;
  check(git_tree_create_updated(&id, repo, nullptr, updates.size(), updates.data()),
        "git_tree_create_updated");
  git_tree* tree = nullptr;
  check(git_tree_lookup(&tree, repo, &id), "git_tree_lookup");
  return Tree(tree);
}

// A path inside the repository, never into its .git directory.
bool inside_repository(std::string_view path) {
  if (path.empty() || path.front() == '/' || path.find('\\') != std::string_view::npos)
    return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const auto part = path.substr(start, end - start);
    if (part.empty() || part == "." || part == ".." || part == ".git")
      return false;
    start = end + 1;
  }
  return true;
}

std::string_view header_path(std::string_view rest) {
  rest = rest.substr(0, rest.find('\t'));
  while (!rest.empty() && (rest.back() == '\r' || rest.back() == ' '))
    rest.remove_suffix(1);
  if (rest == "/dev/null")
    return rest;
  if (rest.starts_with("a/") || rest.starts_with("b/"))
    rest.remove_prefix(2);
  return rest;
}

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  while (!text.empty()) {
    const auto end = text.find('\n');
    lines.push_back(text.substr(0, end));
    if (end == std::string_view::npos)
      break;
    text.remove_prefix(end + 1);
  }
  return lines;
}

std::optional<Rejection> check_delta(const git_diff_delta& delta, const Files& files,
                                     const PatchLimits& limits) {
  const std::string old_path = delta.old_file.path ? delta.old_file.path : "";
  const std::string path = delta.new_file.path ? delta.new_file.path : old_path;
  if (delta.status == GIT_DELTA_DELETED)
    return Rejection{"forbidden-path", "The diff deletes " + old_path + "."};
  if (delta.status == GIT_DELTA_RENAMED || delta.status == GIT_DELTA_COPIED ||
      (delta.status == GIT_DELTA_MODIFIED && old_path != path))
    return Rejection{"forbidden-path", "The diff renames " + old_path + " to " + path + "."};
  if (delta.flags & GIT_DIFF_FLAG_BINARY)
    return Rejection{"not-a-diff", "The diff changes " + path + " as binary data."};
  if (!inside_repository(path))
    return Rejection{"forbidden-path", "The diff names " + path + ", outside the repository."};
  if (!limits.workflow_allowed && path.starts_with(".github/workflows/"))
    return Rejection{"forbidden-path",
                     "The diff changes " + path + ", a workflow, and the failure is not in it."};
  const bool known = files.count(path) > 0;
  if (delta.status == GIT_DELTA_ADDED && known)
    return Rejection{"does-not-apply", "The diff adds " + path + ", which exists."};
  if (delta.status != GIT_DELTA_ADDED && !known)
    return Rejection{"does-not-apply",
                     "The diff changes " + path + ", which was not among the files given."};
  return std::nullopt;
}

std::size_t line_count(const std::string& text) {
  const auto newlines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
  return newlines + (!text.empty() && text.back() != '\n' ? 1 : 0);
}

// Every hunk of a changed file must lie within it. libgit2 1.5 reads past
// the end of a file for a hunk that does not (our fuzzer found it under ASan),
// so such a diff never reaches git_apply_to_tree.
std::optional<Rejection> check_hunks(git_diff* diff, std::size_t index, const Files& files) {
  const auto* delta = git_diff_get_delta(diff, index);
  const std::string path = delta->old_file.path ? delta->old_file.path : "";
  const auto file = files.find(path);
  const std::size_t lines = file == files.end() ? 0 : line_count(file->second);
  git_patch* raw = nullptr;
  check(git_patch_from_diff(&raw, diff, index), "git_patch_from_diff");
  const Patch patch(raw);
  for (std::size_t h = 0; h < git_patch_num_hunks(raw); ++h) {
    const git_diff_hunk* hunk = nullptr;
    std::size_t hunk_lines = 0;
    check(git_patch_get_hunk(&hunk, &hunk_lines, raw, h), "git_patch_get_hunk");
    const auto start = static_cast<std::size_t>(std::max(hunk->old_start, 0));
    const auto count = static_cast<std::size_t>(std::max(hunk->old_lines, 0));
    if (count > 0 && (start < 1 || start + count - 1 > lines))
      return Rejection{"does-not-apply", "A hunk of the diff names lines " + std::to_string(start) +
                                             " to " + std::to_string(start + count - 1) + " of " +
                                             path + ", which has " + std::to_string(lines) + "."};
  }
  return std::nullopt;
}

}  // namespace

std::string to_git_diff(std::string_view diff) {
  const auto lines = lines_of(diff);
  std::string out;
  out.reserve(diff.size() + 256);
  bool git_header = false;  // the file's "diff --git" line has been written
  for (std::size_t i = 0; i < lines.size(); ++i) {
    const auto line = lines[i];
    if (line.starts_with("diff --git ")) {
      git_header = true;
    } else if (line.starts_with("--- ") && i + 1 < lines.size() &&
               lines[i + 1].starts_with("+++ ")) {
      const std::string from(header_path(line.substr(4))), to(header_path(lines[i + 1].substr(4)));
      const bool added = from == "/dev/null", deleted = to == "/dev/null";
      if (!git_header) {
        const std::string& a = added ? to : from;
        const std::string& b = deleted ? from : to;
        out += "diff --git a/" + a + " b/" + b + "\n";
        if (added)
          out += "new file mode 100644\n";
        if (deleted)
          out += "deleted file mode 100644\n";
      }
      out += "--- " + (added ? from : "a/" + from) + "\n";
      out += "+++ " + (deleted ? to : "b/" + to) + "\n";
      git_header = false;
      ++i;
      continue;
    }
    out.append(line);
    out += '\n';
  }
  return out;
}

std::variant<Files, Rejection> apply_patch(std::string_view diff, const Files& files,
                                           const PatchLimits& limits) {
  if (diff.size() > limits.max_bytes)
    return Rejection{"too-large", "The diff is " + std::to_string(diff.size()) +
                                      " bytes; at most " + std::to_string(limits.max_bytes) +
                                      " are taken."};
  if (diff.find('\0') != std::string_view::npos)
    return Rejection{"not-a-diff", "The answer holds a NUL byte: binary data, not a diff."};
  initialise_once();
  const auto text = to_git_diff(diff);
  git_diff* parsed = nullptr;
  if (git_diff_from_buffer(&parsed, text.data(), text.size()) < 0)
    return Rejection{"not-a-diff", "The answer is not a unified diff: " + last_error() + "."};
  const Diff owned_diff(parsed);
  const auto deltas = git_diff_num_deltas(parsed);
  if (deltas == 0)
    return Rejection{"not-a-diff", "The answer holds no change to any file."};
  if (deltas > limits.max_files)
    return Rejection{"too-large", "The diff changes " + std::to_string(deltas) +
                                      " files; at most " + std::to_string(limits.max_files) +
                                      " may change."};
  for (std::size_t i = 0; i < deltas; ++i) {
    if (auto refused = check_delta(*git_diff_get_delta(parsed, i), files, limits))
      return *refused;
    if (auto refused = check_hunks(parsed, i, files))
      return *refused;
  }

  const auto repo = repository_in_memory();
  const auto tree = tree_of(repo.get(), files);
  git_index* applied = nullptr;
  if (git_apply_to_tree(&applied, repo.get(), tree.get(), parsed, nullptr) < 0)
    return Rejection{"does-not-apply",
                     "The diff does not apply to the files at the failing "
                     "commit: " +
                         last_error() + "."};
  const Index index(applied);
  Files changed;
  for (std::size_t i = 0; i < deltas; ++i) {
    const std::string path = git_diff_get_delta(parsed, i)->new_file.path;
    const git_index_entry* entry = git_index_get_bypath(applied, path.c_str(), 0);
    if (!entry)
      return Rejection{"does-not-apply", "The diff leaves no " + path + "."};
    git_blob* blob = nullptr;
    check(git_blob_lookup(&blob, repo.get(), &entry->id), "git_blob_lookup");
    const Blob owned_blob(blob);
    changed[path].assign(static_cast<const char*>(git_blob_rawcontent(blob)),
                         static_cast<std::size_t>(git_blob_rawsize(blob)));
  }
  return changed;
}

}  // namespace faultline::processors::fix
