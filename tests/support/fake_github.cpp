#include "tests/support/fake_github.hpp"

#include <stdexcept>

#include "common/json.hpp"
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

void FakeGitHub::delay(const std::string& method, const std::string& path_prefix, int ms) {
  control("POST", "delays",
          R"({"method":")" + method + R"(","path_prefix":")" + path_prefix + R"(","ms":)" +
              std::to_string(ms) + "}");
}

void FakeGitHub::delay_answer(const std::string& method, const std::string& path_prefix, int ms) {
  control("POST", "delays",
          R"({"method":")" + method + R"(","path_prefix":")" + path_prefix + R"(","ms":)" +
              std::to_string(ms) + R"(,"after":true,"times":1})");
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

void FakeGitHub::set_oauth_app(const std::string& client_id, const std::string& client_secret) {
  control("POST", "oauth_app", json::object([&](json::Writer& out) {
            out.Key("client_id");
            json::write(out, client_id);
            out.Key("client_secret");
            json::write(out, client_secret);
          }));
}

void FakeGitHub::add_user(const std::string& login, long long id, const std::string& repos_json,
                          const std::string& token) {
  control("POST", "users", json::object([&](json::Writer& out) {
            out.Key("login");
            json::write(out, login);
            out.Key("id");
            out.Int64(id);
            out.Key("repos");
            out.RawValue(repos_json.data(), repos_json.size(), rapidjson::kArrayType);
            if (!token.empty()) {
              out.Key("token");
              json::write(out, token);
            }
          }));
}

std::string FakeGitHub::hooks() const {
  return control("GET", "hooks");
}
std::string FakeGitHub::reruns() const {
  return control("GET", "reruns");
}
std::string FakeGitHub::revocations() const {
  return control("GET", "revocations");
}
std::string FakeGitHub::tokens() const {
  return control("GET", "tokens");
}

void FakeGitHub::seed_jobs(const std::string& repo, long long run_id,
                           const std::string& jobs_json) {
  control("POST", "jobs", json::object([&](json::Writer& out) {
            out.Key("repo");
            json::write(out, repo);
            out.Key("run_id");
            out.Int64(run_id);
            out.Key("jobs");
            out.RawValue(jobs_json.data(), jobs_json.size(), rapidjson::kArrayType);
          }));
}

void FakeGitHub::seed_log(long long job_id, const std::string& text, int status) {
  // The Writer escapes quotes, backslashes and control characters; UTF-8 passes through as is.
  control("POST", "logs", json::object([&](json::Writer& out) {
            out.Key("job_id");
            out.Int64(job_id);
            out.Key("text");
            json::write(out, text);
            out.Key("status");
            out.Int(status);
          }));
}

std::string FakeGitHub::seed_commit(const std::string& repo, const std::string& branch,
                                    const std::string& files_json) {
  const auto answer = json::parse(control(
      "POST", "git",
      R"({"repo":")" + repo + R"(","branch":")" + branch + R"(","files":)" + files_json + "}"));
  return std::string(*json::string_member(answer, "sha"));
}

std::string FakeGitHub::files_at(const std::string& repo, const std::string& ref) const {
  return control("POST", "git-files", R"({"repo":")" + repo + R"(","ref":")" + ref + R"("})");
}

std::string FakeGitHub::pulls() const {
  return control("GET", "pulls");
}

}  // namespace faultline::testing
