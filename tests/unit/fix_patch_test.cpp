// A model's diff becomes a commit only if it applies exactly to the files at
// the failing commit and keeps to the limits (processors/fix/patch.hpp).

#include "processors/fix/patch.hpp"

#include <gtest/gtest.h>

namespace faultline::processors::fix {
namespace {

const Files kFiles{
    {"src/app.js", "const port = 80;\nmodule.exports = port;\n"},
    {"src/app.test.js",
     "const port = require('./app');\ntest('port', () => {\n"
     "  expect(port).toBe(8080);\n});\n"},
    {".github/workflows/ci.yml", "on: push\njobs:\n  test:\n    runs-on: ubuntu-latest\n"},
};

constexpr const char* kPortFix =
    "--- a/src/app.js\n"
    "+++ b/src/app.js\n"
    "@@ -1,2 +1,2 @@\n"
    "-const port = 80;\n"
    "+const port = 8080;\n"
    " module.exports = port;\n";

Files applied(const std::variant<Files, Rejection>& result) {
  if (const auto* refused = std::get_if<Rejection>(&result))
    ADD_FAILURE() << refused->reason << ": " << refused->detail;
  return std::holds_alternative<Files>(result) ? std::get<Files>(result) : Files{};
}

Rejection refused(const std::variant<Files, Rejection>& result) {
  if (std::holds_alternative<Files>(result))
    ADD_FAILURE() << "the diff was taken";
  return std::holds_alternative<Rejection>(result) ? std::get<Rejection>(result) : Rejection{};
}

TEST(FixPatchTest, AModelsPlainUnifiedDiffAppliesAndGivesTheNewText) {
  const auto files = applied(apply_patch(kPortFix, kFiles, {}));
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files.at("src/app.js"), "const port = 8080;\nmodule.exports = port;\n");
}

TEST(FixPatchTest, GitsOwnFormatWithIndexLinesAppliesToo) {
  const std::string diff = "diff --git a/src/app.js b/src/app.js\nindex 1111111..2222222 100644\n" +
                           std::string(kPortFix);
  EXPECT_EQ(applied(apply_patch(diff, kFiles, {})).at("src/app.js"),
            "const port = 8080;\nmodule.exports = port;\n");
}

TEST(FixPatchTest, PathsWithoutPrefixesAndWithDatesAreRead) {
  const std::string diff =
      "--- src/app.js\t2026-12-01 10:00:00.000000000 +0000\n"
      "+++ src/app.js\t2026-12-01 10:05:00.000000000 +0000\n"
      "@@ -1,2 +1,2 @@\n-const port = 80;\n+const port = 8080;\n module.exports = port;\n";
  EXPECT_EQ(applied(apply_patch(diff, kFiles, {})).at("src/app.js"),
            "const port = 8080;\nmodule.exports = port;\n");
}

TEST(FixPatchTest, ANewFileMayBeAdded) {
  const std::string diff =
      "--- /dev/null\n+++ b/src/port.js\n@@ -0,0 +1 @@\n+module.exports = 8080;\n";
  EXPECT_EQ(applied(apply_patch(diff, kFiles, {})).at("src/port.js"), "module.exports = 8080;\n");
}

TEST(FixPatchTest, TwoFilesInOneDiffBothChange) {
  const std::string diff = std::string(kPortFix) +
                           "--- a/src/app.test.js\n+++ b/src/app.test.js\n@@ -1,4 +1,5 @@\n"
                           " const port = require('./app');\n+// the port the service listens on\n"
                           " test('port', () => {\n   expect(port).toBe(8080);\n });\n";
  const auto files = applied(apply_patch(diff, kFiles, {}));
  EXPECT_EQ(files.size(), 2u);
  EXPECT_NE(files.at("src/app.test.js").find("the port the service"), std::string::npos);
}

TEST(FixPatchTest, ContextThatDoesNotMatchTheFileDoesNotApply) {
  const std::string diff =
      "--- a/src/app.js\n+++ b/src/app.js\n@@ -1,2 +1,2 @@\n-const port = 8000;\n"
      "+const port = 8080;\n module.exports = port;\n";
  const auto r = refused(apply_patch(diff, kFiles, {}));
  EXPECT_EQ(r.reason, "does-not-apply");
  EXPECT_NE(r.detail.find("does not apply"), std::string::npos) << r.detail;
}

TEST(FixPatchTest, AHunkPastTheEndOfItsFileOrBinaryBytesAreRefusedBeforeLibgit2SeesThem) {
  // libgit2 1.5 read past the end of the file for this one (fix_patch_fuzz, ASan).
  const std::string past =
      "--- a/src/app.js\n+++ b/src/app.js\n@@ -2,2 +1,2 @@\n-const port = 80;\n"
      "+const port = 8080;\n module.exports = port;\n";
  const auto r = refused(apply_patch(past, kFiles, {}));
  EXPECT_EQ(r.reason, "does-not-apply");
  EXPECT_NE(r.detail.find("lines 2 to 3 of src/app.js, which has 2"), std::string::npos)
      << r.detail;
  EXPECT_EQ(refused(apply_patch(std::string(kPortFix) + std::string(1, '\0'), kFiles, {})).reason,
            "not-a-diff");
}

TEST(FixPatchTest, AFileThatWasNotGivenDoesNotApply) {
  const std::string diff = "--- a/lib/other.js\n+++ b/lib/other.js\n@@ -1 +1 @@\n-a\n+b\n";
  const auto r = refused(apply_patch(diff, kFiles, {}));
  EXPECT_EQ(r.reason, "does-not-apply");
  EXPECT_NE(r.detail.find("lib/other.js"), std::string::npos);
}

TEST(FixPatchTest, AddingAFileThatExistsDoesNotApply) {
  const std::string diff = "--- /dev/null\n+++ b/src/app.js\n@@ -0,0 +1 @@\n+x\n";
  EXPECT_EQ(refused(apply_patch(diff, kFiles, {})).reason, "does-not-apply");
}

TEST(FixPatchTest, ProseAndEmptyAnswersAreNotDiffs) {
  EXPECT_EQ(refused(apply_patch("I could not find the cause of this failure.", kFiles, {})).reason,
            "not-a-diff");
  EXPECT_EQ(refused(apply_patch("", kFiles, {})).reason, "not-a-diff");
  EXPECT_EQ(refused(apply_patch("--- a/src/app.js\n+++ b/src/app.js\n@@ garbage @@\n", kFiles, {}))
                .reason,
            "not-a-diff");
}

TEST(FixPatchTest, DeletingOrRenamingAFileIsForbidden) {
  const std::string deletion =
      "--- a/src/app.test.js\n+++ /dev/null\n@@ -1,4 +0,0 @@\n-const port = require('./app');\n"
      "-test('port', () => {\n-  expect(port).toBe(8080);\n-});\n";
  const auto r = refused(apply_patch(deletion, kFiles, {}));
  EXPECT_EQ(r.reason, "forbidden-path");
  EXPECT_NE(r.detail.find("deletes src/app.test.js"), std::string::npos) << r.detail;
  const std::string rename =
      "diff --git a/src/app.js b/src/server.js\nsimilarity index 100%\n"
      "rename from src/app.js\nrename to src/server.js\n";
  EXPECT_EQ(refused(apply_patch(rename, kFiles, {})).reason, "forbidden-path");
}

TEST(FixPatchTest, AWorkflowChangesOnlyWhenTheFailureIsInIt) {
  const std::string diff =
      "--- a/.github/workflows/ci.yml\n+++ b/.github/workflows/ci.yml\n@@ -1,4 +1,4 @@\n"
      " on: push\n jobs:\n   test:\n-    runs-on: ubuntu-latest\n+    runs-on: ubuntu-24.04\n";
  EXPECT_EQ(refused(apply_patch(diff, kFiles, {})).reason, "forbidden-path");
  PatchLimits allowed;
  allowed.workflow_allowed = true;
  EXPECT_NE(
      applied(apply_patch(diff, kFiles, allowed)).at(".github/workflows/ci.yml").find("24.04"),
      std::string::npos);
}

TEST(FixPatchTest, PathsOutsideTheRepositoryAreForbidden) {
  for (const std::string path : {"../etc/passwd", ".git/config", "src/../../x"}) {
    const std::string diff = "--- /dev/null\n+++ b/" + path + "\n@@ -0,0 +1 @@\n+x\n";
    EXPECT_EQ(refused(apply_patch(diff, kFiles, {})).reason, "forbidden-path") << path;
  }
}

TEST(FixPatchTest, TooManyFilesOrTooManyBytesAreTooLarge) {
  PatchLimits one;
  one.max_files = 1;
  const std::string two = std::string(kPortFix) +
                          "--- /dev/null\n+++ b/src/port.js\n@@ -0,0 +1 @@\n+module.exports = 1;\n";
  EXPECT_EQ(refused(apply_patch(two, kFiles, one)).reason, "too-large");
  PatchLimits tiny;
  tiny.max_bytes = 50;
  const auto r = refused(apply_patch(kPortFix, kFiles, tiny));
  EXPECT_EQ(r.reason, "too-large");
  EXPECT_NE(r.detail.find("at most 50"), std::string::npos);
}

}  // namespace
}  // namespace faultline::processors::fix
