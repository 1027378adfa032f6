#include "processors/failure_signature.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "processors/failure_context.hpp"
#include "processors/failure_rules.hpp"

namespace faultline::processors {
namespace {

using Lines = std::vector<std::string>;

FailureSignature sign(const Lines& lines, std::string_view command = "npm test",
                      std::string_view repository = "acme/widgets") {
  FailureExcerpt excerpt;
  excerpt.step = "Run " + std::string(command);
  excerpt.command = command;
  excerpt.lines = lines;
  return sign_failure(excerpt, repository, FailureRules::standard());
}

std::string normalize(std::string_view line, std::string_view repository = "acme/widgets") {
  return normalize_error_line(line, repository);
}

TEST(NormalizeErrorLine, Placeholders) {
  EXPECT_EQ(normalize("request 3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f failed"),
            "request <uuid> failed");
  EXPECT_EQ(normalize("2024-05-01T12:00:03.1234567Z started, 2024-05-01 12:00:03+02:00 ended"),
            "<time> started, <time> ended");
  EXPECT_EQ(normalize("[01/May/2024:12:00:03 +0000] \"GET /\" 500"), "[<time>] \"GET /\" <n>");
  EXPECT_EQ(normalize("May  1 12:00:03 host sshd: ready at 12:00:04.5"),
            "<time> host sshd: ready at <time>");
  EXPECT_EQ(normalize("built on 2024-05-01"), "built on <date>");
  EXPECT_EQ(normalize("log in: /home/runner/.npm/_logs/2026-11-23T10_01_00_101Z-debug-0.log"),
            "log in: /home/runner/.npm/_logs/<time>-debug-<n>.log");
  EXPECT_EQ(normalize("took 12.5s, then 3m2s, then 120ms, in 4.2 seconds"),
            "took <duration>, then <duration>, then <duration>, in <duration>");
  EXPECT_EQ(normalize("segfault at 0x7ffd3a2b in container 4f9a1c2b3d4e (git abc1234)"),
            "segfault at <hex> in container <hex> (git <hex>)");
  EXPECT_EQ(normalize("connect 10.1.2.3:5432 and localhost:8080 and https://db.internal:6379/"),
            "connect <ip>:<port> and localhost:<port> and https://db.internal:<port>/");
  EXPECT_EQ(normalize("src/app.ts:12:5 and src/app.ts(12,5)"),
            "src/app.ts:<pos> and src/app.ts(<pos>)");
  EXPECT_EQ(normalize("expected 90, received 100 after 3 retries"),
            "expected <n>, received <n> after <n> retries");
  EXPECT_EQ(normalize("  many \t  spaces  "), "many spaces");
}

TEST(NormalizeErrorLine, KeepsWhatNamesTheCause) {
  EXPECT_EQ(normalize("Error: Process completed with exit code 137."),
            "Error: Process completed with exit code 137.");
  EXPECT_EQ(normalize("exit status 2"), "exit status 2");
  EXPECT_EQ(normalize("Request failed with status code 503"),
            "Request failed with status code 503");
  EXPECT_EQ(normalize("HTTP 404 for /x, HTTP/1.1 429 later"),
            "HTTP 404 for /x, HTTP/1.1 429 later");
  EXPECT_EQ(normalize("npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padx"),
            "npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padx");
  EXPECT_EQ(normalize("npm ERR! code E404"), "npm ERR! code E404");
  EXPECT_EQ(normalize("error TS2322: Type 'string'"), "error TS2322: Type 'string'");
  EXPECT_EQ(normalize("error[E0308]: mismatched types"), "error[E0308]: mismatched types");
  EXPECT_EQ(normalize("Error: ENOENT: no such file"), "Error: ENOENT: no such file");
  EXPECT_EQ(normalize("make: *** [Makefile:146: all] Error 2"),
            "make: *** [Makefile:<n>: all] Error 2");
  EXPECT_EQ(normalize("error: 3 tests failed"), "error: <n> tests failed");
}

TEST(NormalizeErrorLine, TemporaryPaths) {
  EXPECT_EQ(normalize("/tmp/pytest-of-runner/pytest-3/test_x0/out.txt missing"), "<tmp> missing");
  EXPECT_EQ(normalize("open /var/folders/xy/abc123/T/go-build991/b001: denied"),
            "open <tmp>: denied");
  EXPECT_EQ(normalize("/home/runner/work/_temp/3b1c9e2a.sh: line 1: npm: command not found"),
            "<tmp>: line <n>: npm: command not found");
  EXPECT_EQ(normalize(R"(C:\Users\runneradmin\AppData\Local\Temp\tmp81F2.tmp: access denied)"),
            "<tmp>: access denied");
  EXPECT_EQ(normalize(R"(D:\a\_temp\6f3e.ps1 failed)"), "<tmp> failed");
}

TEST(NormalizeErrorLine, WorkspaceAndRepository) {
  EXPECT_EQ(normalize("/home/runner/work/widgets/widgets/src/cart.ts:12:5 - error"),
            "src/cart.ts:<pos> - error");
  EXPECT_EQ(normalize(R"(D:\a\widgets\widgets\src\cart.ts(12,5): error)"),
            R"(src\cart.ts(<pos>): error)");
  EXPECT_EQ(normalize("/__w/widgets/widgets/build/out.o: failed"), "build/out.o: failed");
  EXPECT_EQ(normalize("fatal: could not read from https://github.com/Acme/Widgets.git"),
            "fatal: could not read from https://github.com/<repo>.git");
  EXPECT_EQ(normalize("> widgets@1.4.0 test by acme"), "> <repo>@<n> test by <owner>");
  // Only as whole words: widgets-docs is another name.
  EXPECT_EQ(normalize("widgets-docs failed"), "widgets-docs failed");
}

// (b) Real-shaped excerpts: their category and what the signature is made of.
TEST(SignFailure, JestFailure) {
  const FailureSignature s = sign({
      "> widgets@1.4.0 test",
      "> jest --ci",
      " FAIL  src/cart.test.js",
      "  ● cart › applies the discount",
      "    Expected: 90",
      "    Received: 100",
      "Tests:       1 failed, 11 passed, 12 total",
      "Error: Process completed with exit code 1.",
  });
  EXPECT_EQ(s.category, "code/test");
  EXPECT_EQ(s.first_line, " FAIL  src/cart.test.js");
  EXPECT_EQ(s.normalized_error,
            "FAIL src/cart.test.js\n● cart › applies the discount\n"
            "Tests: <n> failed, <n> passed, <n> total\nError: Process completed with exit code 1.");
  EXPECT_EQ(s.signature.size(), 16U);
  EXPECT_EQ(s.signature.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(SignFailure, Pytest) {
  const FailureSignature s = sign(
      {
          "    def test_y():",
          ">       assert 1 == 2",
          "E       assert 1 == 2",
          "tests/test_x.py:3: AssertionError",
          "FAILED tests/test_x.py::test_y - AssertionError: assert 1 == 2",
          "==== 1 failed, 12 passed in 0.52s ====",
      },
      "pytest");
  EXPECT_EQ(s.category, "code/test");
  EXPECT_EQ(s.first_line, "E       assert 1 == 2");
  EXPECT_EQ(s.normalized_error,
            "E assert <n> == <n>\ntests/test_x.py:<n>: AssertionError\n"
            "FAILED tests/test_x.py::test_y - AssertionError: assert <n> == <n>\n"
            "==== <n> failed, <n> passed in <duration> ====");
}

TEST(SignFailure, GoTest) {
  const FailureSignature s =
      sign({"    parse_test.go:12: got 3, want 4", "--- FAIL: TestParse (0.01s)",
            "FAIL\tgithub.com/acme/widgets/parse\t0.012s"},
           "go test ./...");
  EXPECT_EQ(s.category, "code/test");
  EXPECT_EQ(s.normalized_error,
            "--- FAIL: TestParse (<duration>)\nFAIL github.com/<repo>/parse <duration>");
  EXPECT_EQ(
      sign({"panic: test timed out after 10m0s", "FAIL\tgithub.com/acme/widgets\t600.1s"}).category,
      "platform/timeout");
}

TEST(SignFailure, Cargo) {
  EXPECT_EQ(sign({"error[E0308]: mismatched types", " --> src/main.rs:4:18",
                  "error: could not compile `widgets` (bin \"widgets\") due to 1 previous error"},
                 "cargo build")
                .category,
            "code/build");
  EXPECT_EQ(sign({"test parse::tests::empty ... FAILED",
                  "test result: FAILED. 11 passed; 1 failed; 0 ignored; 0 measured; 0 filtered "
                  "out; finished in 0.01s"},
                 "cargo test")
                .category,
            "code/test");
}

TEST(SignFailure, Gradle) {
  const FailureSignature deps = sign(
      {
          "FAILURE: Build failed with an exception.",
          "* What went wrong:",
          "Execution failed for task ':app:compileDebugKotlin'.",
          "> Could not resolve all files for configuration ':app:debugCompileClasspath'.",
          "   > Could not find com.acme:core:2.1.0.",
          "BUILD FAILED in 12s",
      },
      "./gradlew build");
  EXPECT_EQ(deps.category, "platform/dependencies");
  EXPECT_EQ(sign({"e: file:///home/runner/work/widgets/widgets/app/src/Main.kt:3:5 Unresolved "
                  "reference: foo",
                  "Execution failed for task ':app:compileKotlin'.", "BUILD FAILED in 12s"})
                .category,
            "code/build");
  EXPECT_EQ(normalize("BUILD FAILED in 12s"), "BUILD FAILED in <duration>");
}

TEST(SignFailure, Npm) {
  const FailureSignature e404 = sign(
      {
          "npm ERR! code E404",
          "npm ERR! 404 Not Found - GET https://registry.npmjs.org/left-padx - Not found",
          "npm ERR! 404  'left-padx@^1.0.0' is not in this registry.",
      },
      "npm ci");
  EXPECT_EQ(e404.category, "platform/dependencies");
  EXPECT_EQ(e404.first_line, "npm ERR! code E404");
  EXPECT_EQ(sign({"npm ERR! code ERESOLVE", "npm ERR! ERESOLVE unable to resolve dependency tree"})
                .category,
            "platform/dependencies");
  EXPECT_EQ(sign({"npm ERR! code ECONNRESET", "npm ERR! network aborted"}).category,
            "platform/network");
  EXPECT_EQ(sign({"# npm audit report", "semver  <7.5.2", "Severity: moderate",
                  "3 vulnerabilities (1 moderate, 2 high)"},
                 "npm audit --audit-level=moderate")
                .category,
            "code/security");
}

TEST(SignFailure, Eslint) {
  const FailureSignature s = sign(
      {
          "/home/runner/work/widgets/widgets/src/cart.js",
          "  12:5  error  'total' is assigned a value but never used  no-unused-vars",
          "✖ 1 problem (1 error, 0 warnings)",
      },
      "npx eslint .");
  EXPECT_EQ(s.category, "code/lint");
  EXPECT_EQ(s.normalized_error,
            "<pos> error 'total' is assigned a value but never used no-unused-vars\n"
            "✖ <n> problem (<n> error, <n> warnings)");
}

TEST(SignFailure, DockerPulls) {
  EXPECT_EQ(sign({"Error response from daemon: toomanyrequests: You have reached your pull rate "
                  "limit. You may increase the limit by authenticating and upgrading: "
                  "https://www.docker.com/increase-rate-limit"},
                 "docker pull node:20")
                .category,
            "platform/dependencies");
  EXPECT_EQ(sign({"Error response from daemon: manifest for node:99 not found: manifest unknown: "
                  "manifest unknown"})
                .category,
            "platform/dependencies");
}

TEST(SignFailure, OutOfMemory) {
  const FailureSignature s =
      sign({"<--- Last few GCs --->", "Error: Process completed with exit code 137."});
  EXPECT_EQ(s.category, "platform/infrastructure");
  EXPECT_EQ(s.normalized_error, "Error: Process completed with exit code 137.");
  EXPECT_EQ(
      sign({"FATAL ERROR: Reached heap limit Allocation failed - JavaScript heap out of memory"})
          .category,
      "platform/infrastructure");
  EXPECT_EQ(sign({"/home/runner/work/_temp/1a2b3c4d.sh: line 1:  2418 Killed   npm test"}).category,
            "platform/infrastructure");
  EXPECT_EQ(sign({"OSError: [Errno 28] No space left on device"}).category,
            "platform/infrastructure");
  // Exit code 1 is not 137.
  EXPECT_NE(s.signature, sign({"Error: Process completed with exit code 1."}).signature);
}

TEST(SignFailure, TimeoutsNetworkCredentials) {
  EXPECT_EQ(sign({"Error: The job running on runner GitHub Actions 3 has exceeded the maximum "
                  "execution time of 360 minutes.",
                  "Error: The operation was canceled."})
                .category,
            "platform/timeout");
  EXPECT_EQ(sign({"read ECONNRESET", "Error: Process completed with exit code 1."}).category,
            "platform/network");
  EXPECT_EQ(sign({"curl: (6) Could not resolve host: example.com"}).category, "platform/network");
  EXPECT_EQ(
      sign({"Error: HttpError: API rate limit exceeded for installation ID 1234567."}).category,
      "platform/network");
  EXPECT_EQ(sign({"git@github.com: Permission denied (publickey).",
                  "fatal: Could not read from remote repository."})
                .category,
            "platform/credentials");
  EXPECT_EQ(sign({"denied: requested access to the resource is denied"}).category,
            "platform/credentials");
  EXPECT_EQ(sign({"Error: HttpError: Bad credentials"}).category, "platform/credentials");
}

TEST(SignFailure, WithoutErrorLinesTakesTheLastThree) {
  const FailureSignature s = sign({"one", "two", "", "three 3", "four", ""});
  EXPECT_EQ(s.normalized_error, "two\nthree <n>\nfour");
  EXPECT_EQ(s.first_line, "two");
  EXPECT_EQ(s.category, "unknown");
}

TEST(SignFailure, AtMostEightDistinctErrorLines) {
  Lines lines;
  for (int i = 0; i < 20; ++i)
    lines.push_back("error: case " + std::string(1, static_cast<char>('a' + i)) + " at line " +
                    std::to_string(i));
  lines.insert(lines.begin(), "error: case a at line 99");  // the same once normalised
  const FailureSignature s = sign(lines);
  EXPECT_EQ(s.first_line, "error: case a at line 99");
  EXPECT_EQ(std::count(s.normalized_error.begin(), s.normalized_error.end(), '\n'), 7);
  EXPECT_EQ(s.normalized_error.find("case i"), std::string::npos);
}

// (c) The same failure in three repositories, with other ids, times and temp
// paths, is one signature; another cause is another.
TEST(SignFailure, SignatureIgnoresRepositoryIdsTimesAndTempPaths) {
  const auto failure = [](std::string_view repository, std::string_view name,
                          std::string_view stamp, std::string_view id, std::string_view tmp,
                          std::string_view digits) {
    const std::string n(name);
    FailureExcerpt excerpt;
    excerpt.step = "Integration tests";
    excerpt.command =
        "pytest /home/runner/work/" + n + "/" + n + "/tests --basetemp=" + std::string(tmp);
    excerpt.lines = {
        std::string(stamp) + " INFO connecting to 10.0.0." + std::string(digits.substr(0, 1)) +
            ":5432",
        "E       ConnectionError: request " + std::string(id) + " to db failed after 3." +
            std::string(digits.substr(1, 1)) + "s",
        "E       in /home/runner/work/" + n + "/" + n + "/app/db.py:4" +
            std::string(digits.substr(2, 1)) + ":7 (" + std::string(tmp) + "/conftest.py)",
        "FAILED tests/test_db.py::test_connect - ConnectionError: request " + std::string(id),
        "==== 1 failed, 2" + std::string(digits.substr(3, 1)) + " passed in 4." +
            std::string(digits.substr(4, 1)) + "1s ====",
        "Error: Process completed with exit code 1.",
    };
    return sign_failure(excerpt, repository, FailureRules::standard());
  };
  const FailureSignature a =
      failure("acme/widgets", "widgets", "2024-05-01T12:00:03Z",
              "3f1c2a9e-8b7d-4c6e-9f10-2a3b4c5d6e7f", "/tmp/pytest-of-runner/pytest-3", "17342");
  const FailureSignature b =
      failure("globex/billing-api", "billing-api", "2025-01-17T23:59:59.998Z",
              "51aa0d3e-1111-4c6e-8a2b-000000000001", "/home/runner/work/_temp/b7e1", "90515");
  const FailureSignature c = failure("initech/Reports", "Reports", "2024-12-31 08:00:00",
                                     "7c9e6679-7425-40de-944b-e07fc1f90ae7",
                                     "/var/folders/x1/kq8/T/pytest-of-ci", "28169");
  EXPECT_EQ(a.signature, b.signature) << a.normalized_error << "\n--\n" << b.normalized_error;
  EXPECT_EQ(a.signature, c.signature) << a.normalized_error << "\n--\n" << c.normalized_error;
  EXPECT_EQ(a.normalized_error, b.normalized_error);
  EXPECT_EQ(a.category, "code/test");
  EXPECT_NE(a.first_line, b.first_line);

  // Another cause in the same repository, and the same lines under another command.
  FailureExcerpt other;
  other.command = "pytest tests";
  other.lines = {"E       KeyError: 'total'",
                 "FAILED tests/test_cart.py::test_total - KeyError: 'total'",
                 "Error: Process completed with exit code 1."};
  const FailureSignature d = sign_failure(other, "acme/widgets", FailureRules::standard());
  EXPECT_NE(a.signature, d.signature);
  other.command = "python -m unittest";
  EXPECT_NE(d.signature, sign_failure(other, "acme/widgets", FailureRules::standard()).signature);
}

}  // namespace
}  // namespace faultline::processors
