#pragma once

#include <set>
#include <string>
#include <vector>

namespace faultline::testing {

struct ExamplePayload {
  std::string event;  // workflow_run, workflow_job, pull_request, ...
  std::string body;   // the example, serialized
};

// Every example of these events in @octokit/webhooks-examples
// (tests/node_modules, installed by scripts/setup).
std::vector<ExamplePayload> webhook_examples(const std::set<std::string>& events = {
                                                 "workflow_run", "workflow_job"});

// A workflow_run example with action "completed", the shape load tests vary.
std::string completed_workflow_run_example();

// The headers GitHub sends with a JSON delivery, signed with `secret`.
std::vector<std::string> webhook_headers(const std::string& event, const std::string& delivery,
                                         const std::string& body, const std::string& secret);

// GitLab's documented example of a hook payload, as Debian's
// golang-github-xanzy-go-gitlab-dev ships it (installed by scripts/setup):
// "pipeline" (a Pipeline Hook) or "build" (a Job Hook).
std::string gitlab_example(const std::string& name);

// The headers GitLab sends with a delivery: the hook's token, the event and
// its Idempotency-Key.
std::vector<std::string> gitlab_webhook_headers(const std::string& event,
                                                const std::string& idempotency_key,
                                                const std::string& token);

}  // namespace faultline::testing
