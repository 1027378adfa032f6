#include "tests/support/fake_github.hpp"

#include <stdexcept>

#include "tests/support/http_client.hpp"

namespace faultline::testing {

FakeGitHub::FakeGitHub() {
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/env", "node",
                               std::string(FAULTLINE_SOURCE_DIR) + "/tests/fakes/fake-github.mjs",
                               "--port", "0"},
      std::map<std::string, std::string>{}, scratch_path("fake-github.log"));
  const auto line = process_->wait_for_log("\"msg\":\"listening\"", std::chrono::seconds(15));
  url_ = "http://127.0.0.1:" + std::to_string(log_field_int(line, "port"));
}

std::string FakeGitHub::control(const std::string& method, const std::string& what,
                                const std::string& body) const {
  HttpClient client;
  const auto response =
      client.request(method, url_ + "/_control/" + what, {"Content-Type: application/json"}, body);
  if (response.status != 200)
    throw std::runtime_error("fake GitHub " + what + ": " + std::to_string(response.status));
  return response.body;
}

void FakeGitHub::seed_runs(const std::string& repo, const std::string& runs_json) {
  control("POST", "runs", R"({"repo":")" + repo + R"(","runs":)" + runs_json + "}");
}

void FakeGitHub::seed_deliveries(const std::string& repo, long long hook_id,
                                 const std::string& deliveries_json) {
  control("POST", "deliveries",
          R"({"repo":")" + repo + R"(","hook_id":)" + std::to_string(hook_id) +
              R"(,"deliveries":)" + deliveries_json + "}");
}

void FakeGitHub::fail_next(const std::string& method, const std::string& path_prefix,
                           const std::string& responses_json) {
  control("POST", "faults",
          R"({"method":")" + method + R"(","path_prefix":")" + path_prefix + R"(","responses":)" +
              responses_json + "}");
}

std::string FakeGitHub::requests() const {
  return control("GET", "requests");
}
std::string FakeGitHub::issues() const {
  return control("GET", "issues");
}
std::string FakeGitHub::redeliveries() const {
  return control("GET", "redeliveries");
}

}  // namespace faultline::testing
