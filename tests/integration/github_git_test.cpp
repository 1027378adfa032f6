// What a fix proposal does on GitHub (common/github_git.*) against the fake
// GitHub's git data, contents and pull request APIs: a file read at a commit,
// one commit on a new branch, one draft pull request, and none of them made
// twice when asked again after a crash.

#include "common/github_git.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "common/json.hpp"
#include "tests/support/fake_github.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRepo = "octo-org/widgets";
constexpr const char* kToken = "repo-token";

class GitHubGitTest : public ::testing::Test {
 protected:
  GitHubGitTest() : client_(settings()) {
    base_ = fake_.seed_commit(kRepo, "main", R"({
      "src/app.js": "const port = 80;\nmodule.exports = port;\n",
      "docs/read me.md": "# widgets\n",
      ".github/workflows/ci.yml": "on: push\n"})");
  }

  github::ClientSettings settings() const {
    github::ClientSettings s;
    s.base_url = fake_.url();
    s.backoff_base = 20ms;
    s.mutation_spacing = 0ms;
    s.max_wait = 5s;
    return s;
  }

  github::ProposedCommit proposal() const {
    return {kRepo,
            base_,
            "faultline/fix-12-1",
            "Fix the port the tests expect",
            {{"src/app.js", "const port = 8080;\nmodule.exports = port;\n"}}};
  }

  // How many requests the fake got with this method and path prefix.
  int requests(const std::string& method, const std::string& prefix) const {
    int n = 0;
    const auto all = json::parse(fake_.requests());
    for (const auto& r : all.GetArray())
      if (json::string_member(r, "method") == method &&
          std::string(*json::string_member(r, "path")).rfind(prefix, 0) == 0)
        ++n;
    return n;
  }

  FakeGitHub fake_;
  github::Client client_;
  std::string base_;
};

TEST_F(GitHubGitTest, ReadsAFileAtACommit) {
  EXPECT_EQ(github::file_at(client_, kToken, kRepo, "src/app.js", base_, 1 << 20),
            std::string("const port = 80;\nmodule.exports = port;\n"));
  // A space in a path is sent encoded, and found.
  EXPECT_EQ(github::file_at(client_, kToken, kRepo, "docs/read me.md", base_, 1 << 20),
            std::string("# widgets\n"));
  EXPECT_EQ(github::file_at(client_, kToken, kRepo, "src/missing.js", base_, 1 << 20),
            std::nullopt);
  // Larger than allowed reads as absent: the proposal leaves it out.
  EXPECT_EQ(github::file_at(client_, kToken, kRepo, "src/app.js", base_, 10), std::nullopt);
}

TEST_F(GitHubGitTest, MakesOneCommitOnANewBranchFromTheFailingCommit) {
  const auto sha = github::commit_on_new_branch(client_, kToken, proposal());
  const auto branch = json::parse(fake_.files_at(kRepo, "faultline/fix-12-1"));
  ASSERT_TRUE(branch.IsObject()) << fake_.files_at(kRepo, "faultline/fix-12-1");
  EXPECT_EQ(json::string_member(branch, "commit"), sha);
  ASSERT_EQ(branch["parents"].Size(), 1u);
  EXPECT_EQ(std::string(branch["parents"][0].GetString()), base_);
  EXPECT_EQ(json::string_member(branch, "message"), "Fix the port the tests expect");
  const auto& files = branch["files"];
  EXPECT_EQ(std::string(files["src/app.js"].GetString()),
            "const port = 8080;\nmodule.exports = port;\n");
  // The rest of the tree is the failing commit's.
  EXPECT_EQ(std::string(files["docs/read me.md"].GetString()), "# widgets\n");
  EXPECT_EQ(std::string(files[".github/workflows/ci.yml"].GetString()), "on: push\n");
  // main did not move.
  EXPECT_EQ(json::string_member(json::parse(fake_.files_at(kRepo, "main")), "commit"), base_);
  EXPECT_EQ(requests("POST", "/repos/octo-org/widgets/git/blobs"), 1);
  EXPECT_EQ(requests("POST", "/repos/octo-org/widgets/git/trees"), 1);
  EXPECT_EQ(requests("POST", "/repos/octo-org/widgets/git/commits"), 1);
  EXPECT_EQ(requests("POST", "/repos/octo-org/widgets/git/refs"), 1);
}

TEST_F(GitHubGitTest, AskedAgainAfterACrashTheBranchIsFoundNotMadeAgain) {
  const auto first = github::commit_on_new_branch(client_, kToken, proposal());
  const auto again = github::commit_on_new_branch(client_, kToken, proposal());
  EXPECT_EQ(again, first);
  EXPECT_EQ(requests("POST", "/repos/octo-org/widgets/git/commits"), 1);
  EXPECT_EQ(requests("POST", "/repos/octo-org/widgets/git/refs"), 1);
}

TEST_F(GitHubGitTest, OpensOneDraftPullRequestAndFindsItWhenAskedAgain) {
  github::commit_on_new_branch(client_, kToken, proposal());
  const auto opened = github::draft_pull_request(client_, kToken, kRepo, "faultline/fix-12-1",
                                                 "main", "Fix the port", "A person must review.");
  EXPECT_TRUE(opened.opened_now);
  EXPECT_GT(opened.number, 0);
  EXPECT_EQ(opened.html_url,
            "https://github.com/octo-org/widgets/pull/" + std::to_string(opened.number));
  const auto found = github::draft_pull_request(client_, kToken, kRepo, "faultline/fix-12-1",
                                                "main", "Fix the port", "A person must review.");
  EXPECT_FALSE(found.opened_now);
  EXPECT_EQ(found.number, opened.number);

  const auto pulls = json::parse(fake_.pulls());
  ASSERT_EQ(pulls[kRepo].Size(), 1u) << fake_.pulls();
  const auto& pull = pulls[kRepo][0];
  EXPECT_TRUE(pull["draft"].GetBool());
  EXPECT_EQ(std::string(pull["head"]["ref"].GetString()), "faultline/fix-12-1");
  EXPECT_EQ(std::string(pull["base"]["ref"].GetString()), "main");
  EXPECT_EQ(std::string(pull["body"].GetString()), "A person must review.");
}

TEST_F(GitHubGitTest, AFailingCallIsAnErrorNamingWhatWasBeingDone) {
  fake_.fail_next("POST", "/repos/octo-org/widgets/git/trees", R"([{"status":422}])");
  try {
    github::commit_on_new_branch(client_, kToken, proposal());
    FAIL() << "no error";
  } catch (const github::GitHubError& e) {
    EXPECT_EQ(e.status(), 422);
    EXPECT_NE(std::string(e.what()).find("creating a tree"), std::string::npos) << e.what();
  }
  // Nothing half made shows as a branch: the next attempt makes it whole.
  EXPECT_EQ(fake_.files_at(kRepo, "faultline/fix-12-1"), "null");
  github::commit_on_new_branch(client_, kToken, proposal());
  EXPECT_NE(fake_.files_at(kRepo, "faultline/fix-12-1"), "null");
}

TEST_F(GitHubGitTest, AnUnknownFailingCommitIsAnError) {
  auto unknown = proposal();
  unknown.base_sha = std::string(40, 'a');
  EXPECT_THROW(github::commit_on_new_branch(client_, kToken, unknown), github::GitHubError);
}

}  // namespace
}  // namespace faultline::testing
