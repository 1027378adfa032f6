#pragma once

// What a fix proposal does on GitHub, through the REST API a person's
// tools use: read a file at the failing commit (contents API), write one
// commit on a new branch from it (git data API: blobs, a tree, a commit, a
// ref), and open a draft pull request from that branch. Each write can be
// repeated after a crash without making a second branch or pull request.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "common/github_client.hpp"

namespace faultline::github {

// A file's text at `ref` (a commit sha or a branch); nullopt when there is no
// such file, or it is not a plain file, or it is larger than `max_bytes`.
std::optional<std::string> file_at(Client& client, const std::string& token,
                                   const std::string& repository, const std::string& path,
                                   const std::string& ref, std::size_t max_bytes);

struct ProposedCommit {
  std::string repository;  // owner/name
  std::string base_sha;    // the commit it changes
  std::string branch;      // made for it, e.g. faultline/fix-12-1
  std::string message;
  std::map<std::string, std::string> files;  // path -> the whole new text
};

// Makes `branch` point at one new commit on top of `base_sha` with `files`
// changed, and answers its sha. When the branch exists already (made before
// a crash) it is left as it is and its commit answered: nothing is made twice.
std::string commit_on_new_branch(Client& client, const std::string& token,
                                 const ProposedCommit& commit);

struct PullRequest {
  std::int64_t number = 0;
  std::string html_url;
  bool opened_now = false;  // false: it existed already
};

// The pull request from `branch` (open or closed) if there is one, else a
// new draft one into `base`.
PullRequest draft_pull_request(Client& client, const std::string& token,
                               const std::string& repository, const std::string& branch,
                               const std::string& base, const std::string& title,
                               const std::string& body);

}  // namespace faultline::github
