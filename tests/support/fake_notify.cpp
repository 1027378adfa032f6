#include "tests/support/fake_notify.hpp"

#include <stdexcept>

#include "tests/support/http_client.hpp"

namespace faultline::testing {

FakeNotify::FakeNotify() {
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/env", "node",
                               std::string(FAULTLINE_SOURCE_DIR) + "/tests/fakes/fake-notify.mjs",
                               "--port", "0"},
      std::map<std::string, std::string>{}, scratch_path("fake-notify.log"));
  const auto line = process_->wait_for_log("\"msg\":\"listening\"", std::chrono::seconds(15));
  url_ = "http://127.0.0.1:" + std::to_string(log_field_int(line, "port"));
}

std::string FakeNotify::control(const std::string& method, const std::string& what,
                                const std::string& body) const {
  HttpClient client;
  const auto response =
      client.request(method, url_ + "/_control/" + what, {"Content-Type: application/json"}, body);
  if (response.status != 200)
    throw std::runtime_error("fake receivers " + what + ": " + std::to_string(response.status));
  return response.body;
}

void FakeNotify::set_webhook_secrets(const std::string& name, const std::string& secrets_json) {
  control("POST", "webhook-secrets", "{\"" + name + "\":" + secrets_json + "}");
}

void FakeNotify::fail(const std::string& path_prefix, const std::string& responses_json,
                      const std::string& forever_json) {
  control("POST", "fail",
          "{\"path_prefix\":\"" + path_prefix + "\",\"responses\":" + responses_json +
              (forever_json.empty() ? "" : ",\"forever\":" + forever_json) + "}");
}

std::string FakeNotify::received() const {
  return control("GET", "received");
}

std::string FakeNotify::pagerduty() const {
  return control("GET", "pagerduty");
}

}  // namespace faultline::testing
