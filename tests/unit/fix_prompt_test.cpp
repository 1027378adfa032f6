// What a fix proposal asks the model and how it reads the answer
// (processors/fix/fix_prompt.hpp, processors/fix/model_client.hpp).

#include "processors/fix/fix_prompt.hpp"

#include <gtest/gtest.h>

#include "common/json.hpp"
#include "processors/fix/model_client.hpp"

namespace faultline::processors::fix {
namespace {

std::vector<FailingJob> job(std::vector<std::string> lines) {
  return {{"test", "Run npm test", std::move(lines)}};
}

TEST(FixPromptTest, NamedPathsAreTheProjectsFilesAsLogsNameThem) {
  const auto paths = named_paths(
      job({"FAIL src/app.test.js",
           "    at Object.<anonymous> (/home/runner/work/widgets/widgets/src/app.js:12:5)",
           "  File \"/home/runner/work/widgets/widgets/app/models.py\", line 3, in <module>",
           "./cmd/server/main.go:41:2: undefined: listen",
           "error[E0308]: mismatched types --> crates/core/src/lib.rs:10:5",
           "D:\\a\\widgets\\widgets\\src\\win.ts(4,1): error TS2322",
           "    at node_modules/jest-circus/build/run.js:10:1",
           "  File \"/usr/lib/python3.11/unittest/case.py\", line 57",
           "npm ERR! registry https://registry.npmjs.org/left-pad.json failed",
           "version 1.2.3 of node 20.11.0"}),
      20);
  EXPECT_EQ(paths, (std::vector<std::string>{"src/app.test.js", "src/app.js", "app/models.py",
                                             "cmd/server/main.go", "crates/core/src/lib.rs",
                                             "src/win.ts"}));
}

TEST(FixPromptTest, NamedPathsStopAtTheLimitAndNameEachOnce) {
  const auto paths = named_paths(job({"src/a.js:1 src/a.js:2 src/b.js:3", "src/c.js src/d.js"}), 3);
  EXPECT_EQ(paths, (std::vector<std::string>{"src/a.js", "src/b.js", "src/c.js"}));
}

TEST(FixPromptTest, AFailureIsTheWorkflowsWhenItsLinesNameIt) {
  FixQuestion q;
  q.workflow_path = ".github/workflows/ci.yml";
  q.jobs = job({"expect(port).toBe(8080)"});
  EXPECT_FALSE(failure_in_workflow(q));
  q.jobs = job({"Invalid workflow file: .github/workflows/ci.yml#L12"});
  EXPECT_TRUE(failure_in_workflow(q));
  q.jobs = job({"Error: .github/workflows/ci.yml (Line: 4, Col: 5): Unexpected value 'step'"});
  EXPECT_TRUE(failure_in_workflow(q));
}

TEST(FixPromptTest, TheQuestionCarriesTheFailureAndTheFilesWithinTheLimit) {
  FixQuestion q{"octo/widgets",
                "main",
                "abc123",
                "https://github.com/octo/widgets/actions/runs/7",
                "ci",
                ".github/workflows/ci.yml",
                job({"Expected: 8080", "Received: 80"}),
                {{"src/app.js", "const port = 80;\n"}, {"src/big.js", std::string(70000, 'x')}}};
  const auto text = question_text(q, 64 * 1024);
  EXPECT_LE(text.size() + instructions().size(), 64u * 1024);
  for (const char* expected :
       {"Repository: octo/widgets", "Failing commit: abc123", "Failing step: Run npm test",
        "Received: 80", "File src/app.js at the failing commit", "const port = 80;",
        "Left out, too large for the prompt: src/big.js."})
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
}

TEST(FixPromptTest, TheInstructionsForbidWeakeningTests) {
  const auto text = instructions();
  EXPECT_NE(text.find("Never weaken, skip, delete"), std::string_view::npos);
  EXPECT_NE(text.find("never raise a timeout"), std::string_view::npos);
  EXPECT_NE(text.find("```diff"), std::string_view::npos);
}

TEST(FixPromptTest, AnAnswersReasonAndFencedDiffAreRead) {
  const auto answer = read_answer(
      "Reason: The test expects port 8080 but the app listens on 80.\n\n```diff\n"
      "--- a/src/app.js\n+++ b/src/app.js\n@@ -1 +1 @@\n-const port = 80;\n+const port = 8080;\n"
      "```\n");
  EXPECT_EQ(answer.reason, "The test expects port 8080 but the app listens on 80.");
  EXPECT_EQ(answer.diff,
            "--- a/src/app.js\n+++ b/src/app.js\n@@ -1 +1 @@\n-const port = 80;\n+const port = "
            "8080;\n");
}

TEST(FixPromptTest, AnUnfencedDiffIsReadFromItsFirstHeader) {
  const auto answer =
      read_answer("The port is wrong.\n--- a/src/app.js\n+++ b/src/app.js\n@@ -1 +1 @@\n-a\n+b\n");
  EXPECT_EQ(answer.reason, "The port is wrong.");
  EXPECT_EQ(answer.diff.rfind("--- a/src/app.js", 0), 0u);
}

TEST(FixPromptTest, AnAnswerWithoutADiffHasNone) {
  const auto answer = read_answer("Reason: I cannot tell what the fix is from these lines.");
  EXPECT_TRUE(answer.diff.empty());
  EXPECT_EQ(answer.reason, "I cannot tell what the fix is from these lines.");
}

TEST(ModelClientTest, TheRequestIsAChatCompletionWithBothMessages) {
  const ModelClient client({"http://model.invalid/v1", "llama-3.1-8b", "key", {}});
  const auto body = json::parse(client.request_body("be careful", "fix this"));
  EXPECT_EQ(json::string_member(body, "model"), "llama-3.1-8b");
  EXPECT_EQ(json::integer_member(body, "temperature"), 0);
  const auto& messages = body["messages"];
  ASSERT_EQ(messages.Size(), 2u);
  EXPECT_EQ(json::string_member(messages[0], "role"), "system");
  EXPECT_EQ(json::string_member(messages[1], "content"), "fix this");
  EXPECT_EQ(client.request_body("a", "b").find("key"), std::string::npos);
}

TEST(ModelClientTest, TheEndpointIsTheBaseWithChatCompletions) {
  ModelSettings s;
  s.url = "https://integrate.api.nvidia.com/v1/";
  EXPECT_EQ(s.endpoint(), "https://integrate.api.nvidia.com/v1/chat/completions");
  s.url = "http://127.0.0.1:8080/v1/chat/completions";
  EXPECT_EQ(s.endpoint(), "http://127.0.0.1:8080/v1/chat/completions");
}

TEST(ModelClientTest, ACompletionsMessageAndUsageAreRead) {
  const auto reply = read_completion(
      200, R"({"id":"c1","object":"chat.completion","choices":[{"index":0,"message":)"
           R"({"role":"assistant","content":"Reason: x"},"finish_reason":"stop"}],)"
           R"("usage":{"prompt_tokens":1200,"completion_tokens":80,"total_tokens":1280}})");
  EXPECT_EQ(reply.outcome, ModelOutcome::kAnswered);
  EXPECT_EQ(reply.content, "Reason: x");
  EXPECT_EQ(reply.prompt_tokens, 1200);
  EXPECT_EQ(reply.completion_tokens, 80);
}

TEST(ModelClientTest, AnAnswerThatIsNoCompletionIsGarbage) {
  for (const char* body : {"not json", "{}", R"({"choices":[]})",
                           R"({"choices":[{"message":{"role":"assistant"}}]})"}) {
    const auto reply = read_completion(200, body);
    EXPECT_EQ(reply.outcome, ModelOutcome::kGarbage) << body;
    EXPECT_FALSE(reply.error.empty());
    EXPECT_EQ(reply.body, body);
  }
  EXPECT_FALSE(read_completion(200, R"({"choices":[{"message":{"content":"x"}}]})").prompt_tokens);
}

TEST(ModelClientTest, SettingsNeedAModelOnceAURLIsGiven) {
  EXPECT_FALSE(ModelSettings::from(Environment(std::map<std::string, std::string>{})));
  EXPECT_THROW(ModelSettings::from(Environment(
                   std::map<std::string, std::string>{{"FAULTLINE_FIX_MODEL_URL", "http://m/v1"}})),
               ConfigError);
  EXPECT_THROW(ModelSettings::from(Environment(
                   {{"FAULTLINE_FIX_MODEL_URL", "ftp://m"}, {"FAULTLINE_FIX_MODEL", "x"}})),
               ConfigError);
  const auto s = ModelSettings::from(Environment({{"FAULTLINE_FIX_MODEL_URL", "http://m/v1"},
                                                  {"FAULTLINE_FIX_MODEL", "x"},
                                                  {"FAULTLINE_FIX_TIMEOUT", "5s"}}));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->timeout, std::chrono::seconds(5));
}

}  // namespace
}  // namespace faultline::processors::fix
