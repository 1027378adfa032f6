#include "processors/failure_context.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "common/utf8.hpp"

namespace faultline::processors {
namespace {

using Lines = std::vector<std::string>;

// Stamps every line the way the runner does, ending each with `eol`.
std::string job_log(const std::vector<std::string_view>& lines, std::string_view eol = "\n") {
  std::string log;
  int tick = 0;
  for (std::string_view line : lines) {
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "2024-05-01T12:%02d:%02d.%07dZ ", tick / 60 % 60, tick % 60,
                  tick * 7919 % 10000000);
    ++tick;
    log += stamp;
    log += line;
    log += eol;
  }
  return log;
}

std::size_t excerpt_bytes(const Lines& lines) {
  std::size_t bytes = 0;
  for (const auto& line : lines)
    bytes += line.size() + 1;
  return bytes;
}

// A Node job as GitHub serves it: set-up, checkout, setup-node, a passing
// step, a failing jest run, then the post-job steps.
const std::vector<std::string_view> kNodeJob = {
    "Current runner version: '2.316.0'",
    "##[group]Operating System",
    "Ubuntu",
    "22.04.4",
    "LTS",
    "##[endgroup]",
    "##[group]Runner Image",
    "Image: ubuntu-22.04",
    "Version: 20240422.1.0",
    "##[endgroup]",
    "Prepare workflow directory",
    "Prepare all required actions",
    "Getting action download info",
    // One line of the log, split for width.
    "Download action repository 'actions/checkout@v4' "  // NOLINT(bugprone-suspicious-missing-comma)
    "(SHA:0ad4b8fadaa221de15dcec353f45205ec38ea70b)",
    "Complete job name: test",
    "##[group]Run actions/checkout@v4",
    "with:",
    "  repository: acme/widgets",
    "  token: ***",
    "##[endgroup]",
    "Syncing repository: acme/widgets",
    "##[group]Getting Git version info",
    "[command]/usr/bin/git version",
    "git version 2.44.0",
    "##[endgroup]",
    "##[group]Run actions/setup-node@v4",
    "with:",
    "  node-version: 20",
    "##[endgroup]",
    "Found in cache @ /opt/hostedtoolcache/node/20.12.2/x64",
    "##[group]Run npm ci",
    "\x1b[36;1mnpm ci\x1b[0m",
    "shell: /usr/bin/bash -e {0}",
    "##[endgroup]",
    "added 312 packages, and audited 313 packages in 4s",
    "found \x1b[32m\x1b[1m0\x1b[22m\x1b[39m vulnerabilities",
    "##[group]Run npm test",
    "\x1b[36;1mnpm test\x1b[0m",
    "shell: /usr/bin/bash -e {0}",
    "env:",
    "  CI: true",
    "##[endgroup]",
    "",
    "> widgets@1.4.0 test",
    "> jest --ci",
    "",
    "\x1b[0m\x1b[7m\x1b[1m\x1b[32m PASS \x1b[39m\x1b[22m\x1b[27m\x1b[0m "
    "\x1b[2msrc/\x1b[22m\x1b[1mformat.test.js\x1b[22m",
    "\x1b[0m\x1b[7m\x1b[1m\x1b[31m FAIL \x1b[39m\x1b[22m\x1b[27m\x1b[0m "
    "\x1b[2msrc/\x1b[22m\x1b[1mcart.test.js\x1b[22m",
    "\x1b[1m\x1b[31m  \x1b[1m● \x1b[22m\x1b[1mcart › applies the discount\x1b[39m\x1b[22m",
    "",
    "    \x1b[2mexpect(\x1b[22m\x1b[31mreceived\x1b[39m\x1b[2m).\x1b[22mtoBe\x1b[2m(\x1b[22m"
    "\x1b[32mexpected\x1b[39m\x1b[2m) // Object.is equality\x1b[22m",
    "    Expected: \x1b[32m90\x1b[39m",
    "    Received: \x1b[31m100\x1b[39m   ",
    "",
    "\x1b[1mTests:       \x1b[22m\x1b[1m\x1b[31m1 failed\x1b[39m\x1b[22m, "
    "\x1b[1m\x1b[32m11 passed\x1b[39m\x1b[22m, 12 total",
    "##[error]Process completed with exit code 1.",
    "Post job cleanup.",
    "[command]/usr/bin/git version",
    "git version 2.44.0",
    "Cleaning up orphan processes",
};

const Lines kNodeJobExcerpt = {
    "> widgets@1.4.0 test",
    "> jest --ci",
    "",
    " PASS  src/format.test.js",
    " FAIL  src/cart.test.js",
    "  ● cart › applies the discount",
    "",
    "    expect(received).toBe(expected) // Object.is equality",
    "    Expected: 90",
    "    Received: 100",
    "",
    "Tests:       1 failed, 11 passed, 12 total",
    "Error: Process completed with exit code 1.",
};

TEST(FailureContext, FailingJestStep) {
  const FailureExcerpt excerpt = extract_failure(job_log(kNodeJob), "");
  EXPECT_EQ(excerpt.step, "Run npm test");
  EXPECT_EQ(excerpt.lines, kNodeJobExcerpt);
  EXPECT_FALSE(excerpt.truncated);
}

TEST(FailureContext, HintNamesTheStep) {
  // Custom step names ("name: Unit tests") never reach the log.
  const FailureExcerpt excerpt = extract_failure(job_log(kNodeJob), "Unit tests");
  EXPECT_EQ(excerpt.step, "Unit tests");
  EXPECT_EQ(excerpt.lines, kNodeJobExcerpt);
}

TEST(FailureContext, CommandOfTheFailingStep) {
  EXPECT_EQ(extract_failure(job_log(kNodeJob), "").command, "npm test");
  // A custom step name from the jobs API leaves the command known.
  const FailureExcerpt named = extract_failure(job_log(kNodeJob), "Unit tests");
  EXPECT_EQ(named.step, "Unit tests");
  EXPECT_EQ(named.command, "npm test");
}

TEST(FailureContext, CommandIsTheHeaderOfTheErrorsStep) {
  // Of the step the first error taken falls in, not of the last step, and
  // only the header's line: the script that follows in the group is not it.
  const auto log = job_log({
      "##[group]Run \x1b[1mnpm run lint\x1b[0m",
      "##[endgroup]",
      "src/app.ts: 3 problems",
      "##[error]Process completed with exit code 1.",
      "##[group]Run ./configure --prefix=/usr",
      "\x1b[36;1m./configure --prefix=/usr\x1b[0m",
      "\x1b[36;1mmake -j2\x1b[0m",
      "shell: /usr/bin/bash -e {0}",
      "##[endgroup]",
      "make: *** [all] Error 2",
      "##[error]Process completed with exit code 2.",
      "##[group]Run actions/upload-artifact@v4",
      "##[endgroup]",
  });
  EXPECT_EQ(extract_failure(log, "").command, "npm run lint");
  const FailureExcerpt later = extract_failure(log, "Build", {}, "2024-05-01T12:00:04");
  EXPECT_EQ(later.step, "Build");
  EXPECT_EQ(later.command, "./configure --prefix=/usr");
}

TEST(FailureContext, CommandUnknown) {
  // An error before any step, and a log without "Run" headers at all.
  EXPECT_EQ(extract_failure(job_log({
                                "Getting action download info",
                                "##[error]Unable to resolve action `acme/missing@v1`",
                            }),
                            "Set up job")
                .command,
            "");
  EXPECT_EQ(extract_failure("make: *** [all] Error 2\n", "").command, "");
  EXPECT_EQ(extract_failure("", "").command, "");
}

TEST(FailureContext, CommandWithoutErrorMarkerIsTheLastSteps) {
  const FailureExcerpt excerpt = extract_failure(job_log({
                                                     "##[group]Run make",
                                                     "##[endgroup]",
                                                     "[ 98%] Linking CXX executable widgets",
                                                     "##[group]Run ./widgets --self-test",
                                                     "##[endgroup]",
                                                     "self-test: 2 of 9 checks failed",
                                                 }),
                                                 "Self test");
  EXPECT_EQ(excerpt.command, "./widgets --self-test");
}

TEST(FailureContext, CrlfAndByteOrderMark) {
  const FailureExcerpt excerpt = extract_failure("\xEF\xBB\xBF" + job_log(kNodeJob, "\r\n"), "");
  EXPECT_EQ(excerpt.step, "Run npm test");
  EXPECT_EQ(excerpt.lines, kNodeJobExcerpt);
}

TEST(FailureContext, OnlyLeadingTimestampIsStripped) {
  const FailureExcerpt excerpt = extract_failure(job_log({
                                                     "##[group]Run ./deploy.sh",
                                                     "##[endgroup]",
                                                     "2024-05-01T11:00:00Z window opened",
                                                     "2024-05-01 is a holiday",
                                                     "##[error]Deploy refused",
                                                 }),
                                                 "");
  EXPECT_EQ(excerpt.lines, (Lines{"2024-05-01T11:00:00Z window opened", "2024-05-01 is a holiday",
                                  "Error: Deploy refused"}));
}

TEST(FailureContext, UnstampedLinesAreKeptWhole) {
  const FailureExcerpt excerpt = extract_failure(
      "##[group]Run make\n##[endgroup]\nmake: *** [all] Error 2\n"
      "##[error]Process completed with exit code 2.\n",
      "");
  EXPECT_EQ(excerpt.step, "Run make");
  EXPECT_EQ(excerpt.lines,
            (Lines{"make: *** [all] Error 2", "Error: Process completed with exit code 2."}));
}

TEST(FailureContext, ContextStaysInTheFailingStep) {
  const FailureExcerpt excerpt = extract_failure(job_log({
                                                     "##[group]Run make",
                                                     "\x1b[36;1mmake\x1b[0m",
                                                     "shell: /usr/bin/bash -e {0}",
                                                     "##[endgroup]",
                                                     "[100%] Built target widgets",
                                                     "##[group]Run ./scripts/check-format.sh",
                                                     "\x1b[36;1m./scripts/check-format.sh\x1b[0m",
                                                     "\x1b[36;1mgit diff --exit-code\x1b[0m",
                                                     "shell: /usr/bin/bash -e {0}",
                                                     "env:",
                                                     "  FORMAT: clang-format-18",
                                                     "##[endgroup]",
                                                     "##[error]Process completed with exit code 2.",
                                                 }),
                                                 "");
  EXPECT_EQ(excerpt.step, "Run ./scripts/check-format.sh");
  EXPECT_EQ(excerpt.lines, (Lines{"Error: Process completed with exit code 2."}));
  EXPECT_FALSE(excerpt.truncated);
}

TEST(FailureContext, LaterErrorsOfTheStepFollowTheFirst) {
  // Output between errors is left out; errors of later steps are not this failure.
  const FailureExcerpt excerpt = extract_failure(
      job_log({
          "##[group]Run cmake --build build",
          "##[endgroup]",
          "[ 50%] Building CXX object src/CMakeFiles/core.dir/parser.cpp.o",
          "##[error]src/parser.cpp:41:7: error: 'tokn' was not declared in this scope",
          "   41 |       tokn.kind = Kind::kEnd;",
          "##[warning]src/parser.cpp:12:5: unused variable 'depth'",
          "##[error]src/parser.cpp:57:1: error: expected ';' before '}' token",
          "gmake: *** [Makefile:146: all] Error 2",
          "##[error]Process completed with exit code 2.",
          "##[group]Run actions/upload-artifact@v4",
          "##[endgroup]",
          "##[error]No files were found with the provided path: build/logs",
          "Post job cleanup.",
          "##[error]The cache could not be saved.",
      }),
      "");
  EXPECT_EQ(excerpt.step, "Run cmake --build build");
  EXPECT_EQ(excerpt.lines,
            (Lines{
                "[ 50%] Building CXX object src/CMakeFiles/core.dir/parser.cpp.o",
                "Error: src/parser.cpp:41:7: error: 'tokn' was not declared in this scope",
                "Error: src/parser.cpp:57:1: error: expected ';' before '}' token",
                "Error: Process completed with exit code 2.",
            }));
}

// Lines k of job_log() are stamped 2024-05-01T12:00:kk.
const std::vector<std::string_view> kContinueOnErrorJob = {
    "##[group]Run npm run lint",                     // 0
    "##[endgroup]",                                  // 1
    "src/app.ts: 3 problems",                        // 2
    "##[error]Process completed with exit code 1.",  // 3: continue-on-error
    "##[group]Run npm test",                         // 4
    "##[endgroup]",                                  // 5
    "FAIL src/cart.test.ts",                         // 6
    "##[error]Process completed with exit code 2.",  // 7
};
const Lines kLintExcerpt{"src/app.ts: 3 problems", "Error: Process completed with exit code 1."};
const Lines kTestExcerpt{"FAIL src/cart.test.ts", "Error: Process completed with exit code 2."};

TEST(FailureContext, StepStartPassesOverErrorsOfEarlierSteps) {
  const FailureExcerpt excerpt =
      extract_failure(job_log(kContinueOnErrorJob), "Test", {}, "2024-05-01T12:00:04");
  EXPECT_EQ(excerpt.step, "Test");
  EXPECT_EQ(excerpt.lines, kTestExcerpt);
  EXPECT_FALSE(excerpt.truncated);

  // Without the step's start, the first error is the failure.
  const FailureExcerpt first = extract_failure(job_log(kContinueOnErrorJob), "");
  EXPECT_EQ(first.step, "Run npm run lint");
  EXPECT_EQ(first.lines, kLintExcerpt);
}

TEST(FailureContext, StepStartInTheSameSecondAsTheErrorKeepsIt) {
  const FailureExcerpt excerpt =
      extract_failure(job_log(kContinueOnErrorJob), "", {}, "2024-05-01T12:00:07");
  EXPECT_EQ(excerpt.step, "Run npm test");
  EXPECT_EQ(excerpt.lines, kTestExcerpt);
}

TEST(FailureContext, StepStartAfterEveryErrorFallsBackToTheFirst) {
  const FailureExcerpt excerpt =
      extract_failure(job_log(kContinueOnErrorJob), "Test", {}, "2024-05-01T13:00:00");
  EXPECT_EQ(excerpt.step, "Test");
  EXPECT_EQ(excerpt.lines, kLintExcerpt);
}

TEST(FailureContext, UnstampedErrorsAreNotPassedOver) {
  std::string log;
  for (std::string_view line : kContinueOnErrorJob)
    log += std::string(line) + "\n";
  const FailureExcerpt excerpt = extract_failure(log, "", {}, "2024-05-01T12:00:04");
  EXPECT_EQ(excerpt.step, "Run npm run lint");
}

TEST(FailureContext, WarningsInContextAreLabelled) {
  const FailureExcerpt excerpt =
      extract_failure(job_log({
                          "##[group]Run pytest",
                          "##[endgroup]",
                          "##[warning]Node.js 16 actions are deprecated.",
                          "##[notice]Using cached venv",
                          "FAILED tests/test_api.py::test_login",
                          "##[error]Process completed with exit code 1.",
                      }),
                      "");
  EXPECT_EQ(excerpt.lines, (Lines{
                               "Warning: Node.js 16 actions are deprecated.",
                               "Notice: Using cached venv",
                               "FAILED tests/test_api.py::test_login",
                               "Error: Process completed with exit code 1.",
                           }));
}

TEST(FailureContext, ErrorBeforeAnyStepHasNoStep) {
  const FailureExcerpt excerpt = extract_failure(
      job_log({
          "Current runner version: '2.316.0'",
          "Getting action download info",
          "##[error]Unable to resolve action `acme/missing@v1`, repository not found",
      }),
      "");
  EXPECT_EQ(excerpt.step, "");
  EXPECT_EQ(excerpt.lines,
            (Lines{"Current runner version: '2.316.0'", "Getting action download info",
                   "Error: Unable to resolve action `acme/missing@v1`, repository not found"}));
}

TEST(FailureContext, WithoutErrorMarkerTakesTheLastOutput) {
  const auto log = job_log({
      "##[group]Run make",
      "##[endgroup]",
      "[ 98%] Linking CXX executable widgets",
      "##[group]Run ./widgets --self-test",
      "\x1b[36;1m./widgets --self-test\x1b[0m",
      "shell: /usr/bin/bash -e {0}",
      "##[endgroup]",
      "self-test: 1/3 ok",
      "",
      "self-test: 2/3 ok",
      "self-test: 3/3 \x1b[31mhung\x1b[0m",
      "   ",
      "Post job cleanup.",
      "Cleaning up orphan processes",
      "Terminate orphan process: pid (2412) (widgets)",
  });
  // Without a marker there is no failing step to stay in.
  const FailureExcerpt excerpt = extract_failure(log, "", {.lines_before = 4});
  EXPECT_EQ(excerpt.step, "Run ./widgets --self-test");
  EXPECT_EQ(excerpt.lines, (Lines{"[ 98%] Linking CXX executable widgets", "self-test: 1/3 ok",
                                  "self-test: 2/3 ok", "self-test: 3/3 hung"}));
  EXPECT_FALSE(excerpt.truncated);

  const FailureExcerpt shorter = extract_failure(log, "Self test", {.lines_before = 2});
  EXPECT_EQ(shorter.step, "Self test");
  EXPECT_EQ(shorter.lines, (Lines{"self-test: 2/3 ok", "self-test: 3/3 hung"}));
  EXPECT_TRUE(shorter.truncated);
}

TEST(FailureContext, KeepsOnlyLinesBefore) {
  std::vector<std::string> output;
  for (int i = 1; i <= 30; ++i)
    output.push_back("ok " + std::to_string(i) + " - case " + std::to_string(i));
  std::vector<std::string_view> lines = {"##[group]Run prove -v", "##[endgroup]"};
  lines.insert(lines.end(), output.begin(), output.end());
  lines.emplace_back("##[error]Process completed with exit code 1.");

  const FailureExcerpt excerpt = extract_failure(job_log(lines), "", {.lines_before = 3});
  EXPECT_EQ(excerpt.lines, (Lines{"ok 28 - case 28", "ok 29 - case 29", "ok 30 - case 30",
                                  "Error: Process completed with exit code 1."}));
  EXPECT_TRUE(excerpt.truncated);
}

TEST(FailureContext, LongLineIsCutAtCharacterBoundary) {
  std::string long_line;
  for (int i = 0; i < 1000; ++i)
    long_line += "\xC3\xA9";  // é: two bytes each
  const FailureExcerpt excerpt = extract_failure(
      job_log({"##[group]Run ./render", "##[endgroup]", long_line, "##[error]Render failed"}), "",
      {.max_line_bytes = 100});

  std::string expected;
  for (int i = 0; i < 48; ++i)
    expected += "\xC3\xA9";
  expected += "\xE2\x80\xA6";  // …
  ASSERT_EQ(excerpt.lines.size(), 2u);
  EXPECT_EQ(excerpt.lines[0], expected);
  EXPECT_TRUE(utf8::valid(excerpt.lines[0]));
  EXPECT_EQ(excerpt.lines[1], "Error: Render failed");
  EXPECT_TRUE(excerpt.truncated);
}

TEST(FailureContext, ManyErrorsAreCappedByMaxLines) {
  std::vector<std::string> errors;
  for (int i = 0; i < 200; ++i)
    errors.push_back("##[error]lint: src/file" + std::to_string(i) + ".ts: no-unused-vars");
  std::vector<std::string_view> lines = {"##[group]Run npx eslint .", "##[endgroup]",
                                         "Linting 200 files"};
  lines.insert(lines.end(), errors.begin(), errors.end());

  const FailureExcerpt excerpt = extract_failure(job_log(lines), "", {.max_lines = 10});
  ASSERT_EQ(excerpt.lines.size(), 10u);
  // The errors are the point: they displace the context.
  for (std::size_t i = 0; i < 10; ++i)
    EXPECT_EQ(excerpt.lines[i],
              "Error: lint: src/file" + std::to_string(i) + ".ts: no-unused-vars");
  EXPECT_TRUE(excerpt.truncated);
}

TEST(FailureContext, WholeExcerptStaysWithinMaxBytes) {
  std::vector<std::string> output;
  for (int i = 0; i < 50; ++i)
    output.push_back("\x1b[31mFAIL\x1b[0m case " + std::to_string(i) + std::string(150, '.'));
  std::vector<std::string_view> lines = {"##[group]Run ctest", "##[endgroup]"};
  lines.insert(lines.end(), output.begin(), output.end());
  lines.emplace_back("##[error]Process completed with exit code 8.");

  const ExcerptLimits limits{.lines_before = 40, .max_bytes = 1000};
  const FailureExcerpt excerpt = extract_failure(job_log(lines), "", limits);
  EXPECT_LE(excerpt_bytes(excerpt.lines), 1000u);
  ASSERT_GE(excerpt.lines.size(), 2u);
  EXPECT_EQ(excerpt.lines.back(), "Error: Process completed with exit code 8.");
  // Nearest the error first: the last case survives.
  EXPECT_EQ(excerpt.lines[excerpt.lines.size() - 2], "FAIL case 49" + std::string(150, '.'));
  EXPECT_TRUE(excerpt.truncated);
}

TEST(FailureContext, FirstErrorIsShortenedRatherThanLost) {
  const FailureExcerpt excerpt =
      extract_failure(job_log({"##[group]Run make", "##[endgroup]", "compiling",
                               "##[error]Process completed with exit code 2."}),
                      "", {.max_bytes = 20});
  EXPECT_EQ(excerpt.lines, (Lines{"Error: Process c\xE2\x80\xA6"}));
  EXPECT_LE(excerpt_bytes(excerpt.lines), 20u);
  EXPECT_TRUE(excerpt.truncated);
}

TEST(FailureContext, InvalidUtf8IsReplaced) {
  const FailureExcerpt excerpt =
      extract_failure(job_log({
                          "##[group]Run ./t\xFF",
                          "##[endgroup]",
                          "caf\xC3 \xFF\xFE ok \xE2\x82 end \xED\xA0\x80 \xC0\xAF \xF0\x9F\x98\x80",
                          "##[error]bad byte \x80",
                      }),
                      "");
  constexpr std::string_view r = "\xEF\xBF\xBD";  // U+FFFD
  const std::string expected = "caf" + std::string(r) + " " + std::string(r) + std::string(r) +
                               " ok " + std::string(r) + " end " + std::string(r) + std::string(r) +
                               std::string(r) + " " + std::string(r) + std::string(r) +
                               " \xF0\x9F\x98\x80";
  EXPECT_EQ(excerpt.step, "Run ./t" + std::string(r));
  EXPECT_EQ(excerpt.lines, (Lines{expected, "Error: bad byte " + std::string(r)}));
  EXPECT_TRUE(utf8::valid(excerpt.step));
  for (const auto& line : excerpt.lines)
    EXPECT_TRUE(utf8::valid(line)) << line;
}

TEST(FailureContext, OtherEscapesAndControlsAreDropped) {
  const FailureExcerpt excerpt = extract_failure(
      job_log({
          "##[group]Run cargo test",
          "##[endgroup]",
          // An OSC 8 hyperlink, a cursor move, a charset switch and a bell.
          "see \x1b]8;;https://example.com/x\x1b\\docs\x1b]8;;\x07 here\x1b[2K\x1b(B\x07",
          "\x1b[1;31m##[error]\x1b[0mtest result: FAILED. 3 passed; 1 failed",
      }),
      "");
  EXPECT_EQ(excerpt.lines,
            (Lines{"see docs here", "Error: test result: FAILED. 3 passed; 1 failed"}));
}

// Thousands of steps of coloured compiler output, the failing tests near the end.
std::string large_job_log() {
  std::string log;
  log.reserve(6 << 20);
  int tick = 0;
  auto emit = [&](std::string_view line) {
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "2024-05-01T%02d:%02d:%02d.%07dZ ", tick / 3600 % 24,
                  tick / 60 % 60, tick % 60, tick * 7919 % 10000000);
    ++tick;
    log += stamp;
    log += line;
    log += '\n';
  };
  for (int step = 0; log.size() < (5 << 20); ++step) {
    const std::string module = "module_" + std::to_string(step);
    emit("##[group]Run cmake --build build --target " + module);
    emit("\x1b[36;1mcmake --build build --target " + module + "\x1b[0m");
    emit("shell: /usr/bin/bash -e {0}");
    emit("##[endgroup]");
    for (int unit = 0; unit < 12; ++unit) {
      const std::string source = "src/" + module + "/unit_" + std::to_string(unit) + ".cpp";
      emit("[\x1b[32m" + std::to_string(unit * 8) + "%\x1b[0m] \x1b[32mBuilding CXX object " +
           module + "/CMakeFiles/" + module + ".dir/unit_" + std::to_string(unit) +
           ".cpp.o\x1b[0m");
      if (unit % 4 == 0)
        emit("\x1b[1m" + source + ":" + std::to_string(40 + unit) +
             ":9: \x1b[35mwarning: \x1b[0m\x1b[1munused variable 'scratch' "
             "[-Wunused-variable]\x1b[0m");
    }
    emit("[100%] \x1b[1;32mBuilt target " + module + "\x1b[0m");
  }
  emit("##[group]Run ctest --test-dir build --output-on-failure");
  emit("\x1b[36;1mctest --test-dir build --output-on-failure\x1b[0m");
  emit("shell: /usr/bin/bash -e {0}");
  emit("##[endgroup]");
  for (int test = 1; test <= 400; ++test) {
    const bool fails = test == 217 || test == 388;
    emit("      Start " + std::to_string(test) + ": case_" + std::to_string(test));
    emit(std::to_string(test) + "/400 Test #" + std::to_string(test) + ": case_" +
         std::to_string(test) + " ....... " +
         (fails ? "\x1b[31m***Failed\x1b[0m    0.02 sec" : "\x1b[32m  Passed\x1b[0m    0.01 sec"));
  }
  emit("");
  emit("99% tests passed, 2 tests failed out of 400");
  emit("");
  emit("The following tests FAILED:");
  emit("\t217 - case_217 (Failed)");
  emit("\t388 - case_388 (Failed)");
  emit("Errors while running CTest");
  emit("##[error]Process completed with exit code 8.");
  emit("Post job cleanup.");
  emit("Cleaning up orphan processes");
  return log;
}

TEST(FailureContext, MultiMegabyteLog) {
  const std::string log = large_job_log();
  ASSERT_GE(log.size(), 5u << 20);

  const FailureExcerpt excerpt = extract_failure(log, "", {.max_bytes = 1024});
  EXPECT_EQ(excerpt.step, "Run ctest --test-dir build --output-on-failure");
  EXPECT_LE(excerpt_bytes(excerpt.lines), 1024u);
  EXPECT_TRUE(excerpt.truncated);
  const Lines tail(excerpt.lines.end() - 7, excerpt.lines.end());
  EXPECT_EQ(tail, (Lines{
                      "99% tests passed, 2 tests failed out of 400",
                      "",
                      "The following tests FAILED:",
                      "\t217 - case_217 (Failed)",
                      "\t388 - case_388 (Failed)",
                      "Errors while running CTest",
                      "Error: Process completed with exit code 8.",
                  }));
  for (const auto& line : excerpt.lines)
    EXPECT_TRUE(utf8::valid(line)) << line;
}

TEST(FailureContext, EmptyLog) {
  const FailureExcerpt excerpt = extract_failure("", "");
  EXPECT_EQ(excerpt.step, "");
  EXPECT_TRUE(excerpt.lines.empty());
  EXPECT_FALSE(excerpt.truncated);

  EXPECT_EQ(extract_failure("", "Build").step, "Build");
  EXPECT_TRUE(extract_failure("\xEF\xBB\xBF\r\n\n", "").lines.empty());
}

}  // namespace
}  // namespace faultline::processors
