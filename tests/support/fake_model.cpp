#include "tests/support/fake_model.hpp"

#include <stdexcept>

#include "common/json.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {

FakeModel::FakeModel() {
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{"/usr/bin/env", "node",
                               std::string(FAULTLINE_SOURCE_DIR) + "/tests/fakes/fake-model.mjs",
                               "--port", "0"},
      std::map<std::string, std::string>{}, scratch_path("fake-model.log"));
  const auto line = process_->wait_for_log("\"msg\":\"listening\"", std::chrono::seconds(15));
  url_ = "http://127.0.0.1:" + std::to_string(log_field_int(line, "port"));
}

std::string FakeModel::control(const std::string& method, const std::string& what,
                               const std::string& body) const {
  HttpClient client;
  const auto response =
      client.request(method, url_ + "/_control/" + what, {"Content-Type: application/json"}, body);
  if (response.status != 200)
    throw std::runtime_error("fake model " + what + ": " + std::to_string(response.status) + " " +
                             response.body);
  return response.body;
}

void FakeModel::reply(const std::string& replies_json, const std::string& forever_json) {
  control("POST", "replies",
          "{\"replies\":" + replies_json +
              (forever_json.empty() ? "" : ",\"forever\":" + forever_json) + "}");
}

void FakeModel::set_api_key(const std::string& key) {
  control("POST", "api-key", json::object([&](json::Writer& out) {
            out.Key("key");
            json::write(out, key);
          }));
}

std::string FakeModel::requests() const {
  return control("GET", "requests");
}

void FakeModel::reset() {
  control("POST", "reset");
}

}  // namespace faultline::testing
