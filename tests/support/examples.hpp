#pragma once

#include <string>
#include <vector>

namespace faultline::testing {

struct ExamplePayload {
  std::string event;  // workflow_run or workflow_job
  std::string body;   // the example, serialized
};

// Every workflow_run and workflow_job example of @octokit/webhooks-examples
// (tests/node_modules, installed by scripts/setup).
std::vector<ExamplePayload> webhook_examples();

}  // namespace faultline::testing
