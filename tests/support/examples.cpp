#include "tests/support/examples.hpp"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "common/json.hpp"
#include "ingest/signature.hpp"

namespace faultline::testing {

std::vector<ExamplePayload> webhook_examples(const std::set<std::string>& events) {
  const std::string path =
      std::string(FAULTLINE_SOURCE_DIR) +
      "/tests/node_modules/@octokit/webhooks-examples/api.github.com/index.json";
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error(path + " is missing: run scripts/setup");
  std::stringstream text;
  text << in.rdbuf();
  const auto document = json::parse(text.str());
  std::vector<ExamplePayload> out;
  for (const auto& entry : document.GetArray()) {
    const auto name = json::string_member(entry, "name");
    if (!name || !events.count(std::string(*name)))
      continue;
    for (const auto& example : json::member(entry, "examples")->GetArray())
      out.push_back({std::string(*name), json::serialize(example)});
  }
  return out;
}

std::string completed_workflow_run_example() {
  for (const auto& example : webhook_examples())
    if (example.event == "workflow_run" &&
        example.body.find("\"action\":\"completed\"") != std::string::npos)
      return example.body;
  throw std::runtime_error("no completed workflow_run example");
}

std::vector<std::string> webhook_headers(const std::string& event, const std::string& delivery,
                                         const std::string& body, const std::string& secret) {
  return {"Content-Type: application/json", "X-GitHub-Event: " + event,
          "X-GitHub-Delivery: " + delivery,
          "X-Hub-Signature-256: " + ingest::SignatureVerifier::sign(secret, body)};
}

std::string gitlab_example(const std::string& name) {
  const std::string path =
      "/usr/share/gocode/src/github.com/xanzy/go-gitlab/testdata/webhooks/" + name + ".json";
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error(path + " is missing: run scripts/setup");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> gitlab_webhook_headers(const std::string& event,
                                                const std::string& idempotency_key,
                                                const std::string& token) {
  return {"Content-Type: application/json", "X-Gitlab-Event: " + event,
          "Idempotency-Key: " + idempotency_key, "X-Gitlab-Token: " + token};
}

}  // namespace faultline::testing
