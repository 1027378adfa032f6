// faultline-ingest and faultline-processors through the real cluster's SASL_SSL
// listener (SCRAM-SHA-512 over TLS, infra/kafka/cluster start --sasl): the
// right settings carry a delivery to PostgreSQL; a wrong password or an
// untrusted CA turns ingest's /ready red with the cause, which the log says
// once at error level, and no password is ever in the log.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <sstream>
#include <thread>

#include "common/json.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/examples.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using Env = std::map<std::string, std::string>;

constexpr const char* kSecret = "security-secret";

// KEY=VALUE lines, as infra/kafka/cluster writes sasl.env.
Env read_env_file(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error("cannot read " + path);
  Env out;
  for (std::string line; std::getline(in, line);) {
    const auto equals = line.find('=');
    if (equals != std::string::npos && line[0] != '#')
      out[line.substr(0, equals)] = line.substr(equals + 1);
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

// Log lines at `level` whose text mentions `needle` (case-insensitive).
std::vector<std::string> lines_at(const std::string& log, const std::string& level,
                                  const std::string& needle) {
  std::vector<std::string> found;
  for (const auto& line : lines_of(log))
    if (line.find("\"level\":\"" + level + "\"") != std::string::npos &&
        lower(line).find(lower(needle)) != std::string::npos)
      found.push_back(line);
  return found;
}

class KafkaSecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* sasl_env = std::getenv("FAULTLINE_TEST_KAFKA_SASL_ENV");
    if (!TestBroker::real_cluster() || !sasl_env || !*sasl_env)
      GTEST_SKIP() << "needs FAULTLINE_TEST_KAFKA=cluster and FAULTLINE_TEST_KAFKA_SASL_ENV (the "
                      "sasl.env that infra/kafka/cluster start --sasl writes; scripts/test sets "
                      "both)";
    sasl_ = read_env_file(sasl_env);
    for (const char* key : {"FAULTLINE_KAFKA_BROKERS", "FAULTLINE_KAFKA_SECURITY_PROTOCOL",
                            "FAULTLINE_KAFKA_SASL_MECHANISMS", "FAULTLINE_KAFKA_SASL_USERNAME",
                            "FAULTLINE_KAFKA_SASL_PASSWORD", "FAULTLINE_KAFKA_SSL_CA_LOCATION"})
      ASSERT_FALSE(sasl_[key].empty()) << key << " missing from " << sasl_env;
    password_ = sasl_["FAULTLINE_KAFKA_SASL_PASSWORD"];
    // Faultline's topics, empty, through the cluster's PLAINTEXT listener.
    broker_ = std::make_unique<TestBroker>();
  }

  // The cluster's client settings with `changes` applied.
  Env kafka_env(const Env& changes = {}) const {
    Env env = sasl_;
    for (const auto& [k, v] : changes)
      env[k] = v;
    return env;
  }

  std::unique_ptr<ChildProcess> start_ingest(Env env, const std::string& log_name) {
    env["FAULTLINE_WEBHOOK_SECRETS"] = kSecret;
    env["FAULTLINE_INGEST_ADDR"] = "127.0.0.1:0";
    env["FAULTLINE_INGEST_PUBLISH_TIMEOUT"] = "3s";
    auto process = std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-ingest")}, env, scratch_path(log_name));
    const auto port = log_field_int(process->wait_for_log("\"msg\":\"listening\"", 10s), "port");
    base_ = "http://127.0.0.1:" + std::to_string(port);
    return process;
  }

  std::unique_ptr<ChildProcess> start_processors(Env env, const std::string& database_url,
                                                 const std::string& log_name) {
    env["FAULTLINE_DATABASE_URL"] = database_url;
    env["FAULTLINE_PROCESSORS_ADDR"] = "127.0.0.1:0";
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-processors"), "--roles", "runs"}, env,
        scratch_path(log_name));
  }

  // Polls ingest's /ready until `done` holds for its answer or `timeout` passes;
  // returns the last answer.
  HttpResponse poll_ready(HttpClient& client, const std::function<bool(const HttpResponse&)>& done,
                          std::chrono::milliseconds timeout = 20s) {
    const auto deadline = Clock::now() + timeout;
    HttpResponse last;
    while (Clock::now() < deadline) {
      last = client.get(base_ + "/ready");
      if (done(last))
        return last;
      std::this_thread::sleep_for(200ms);
    }
    return last;
  }

  // The processors' gauge for the runs group's consumers, as /metrics renders it.
  static std::string connection_gauge(HttpClient& client, ChildProcess& processors) {
    const auto port =
        log_field_int(processors.wait_for_log("\"msg\":\"started\"", 20s), "status_port");
    const auto metrics = client.get("http://127.0.0.1:" + std::to_string(port) + "/metrics").body;
    const std::string name =
        "faultline_processor_kafka_connection_problem{group=\"faultline-runs\"} ";
    const auto at = metrics.find(name);
    if (at == std::string::npos)
      return "missing";
    return metrics.substr(at + name.size(), metrics.find('\n', at) - at - name.size());
  }

  HttpResponse deliver(HttpClient& client, const std::string& delivery, const std::string& body) {
    return client.request("POST", base_ + "/webhooks/github",
                          webhook_headers("workflow_run", delivery, body, kSecret), body);
  }

  void expect_no_password_in(const std::string& log, const std::string& wrong = "") const {
    EXPECT_EQ(log.find(password_), std::string::npos) << "the password is in the log";
    if (!wrong.empty()) {
      EXPECT_EQ(log.find(wrong), std::string::npos) << "the wrong password is in the log";
    }
  }

  Env sasl_;
  std::string password_;
  std::unique_ptr<TestBroker> broker_;
  std::string base_;
};

TEST_F(KafkaSecurityTest, TheRightSettingsCarryADeliveryThroughSaslSslToPostgres) {
  TestDatabase database;
  HttpClient client;
  auto ingest = start_ingest(kafka_env(), "ingest-sasl.log");
  const auto ready = poll_ready(
      client, [](const auto& r) { return r.status == 200; }, 30s);
  ASSERT_EQ(ready.status, 200) << ready.body << "\n" << ingest->log();

  const auto body = completed_workflow_run_example();
  const auto run_id = *json::integer_member(*json::member(json::parse(body), "workflow_run"), "id");
  const auto response = deliver(client, "sasl-delivery-1", body);
  ASSERT_EQ(response.status, 202) << response.body << "\n" << ingest->log();

  auto processors = start_processors(kafka_env(), database.url(), "processors-sasl.log");
  EXPECT_EQ(database.wait_for_count(
                "SELECT count(*) FROM workflow_runs WHERE run_id = " + std::to_string(run_id), 1),
            1)
      << processors->log();
  EXPECT_EQ(connection_gauge(client, *processors), "0");
  EXPECT_EQ(database.count("SELECT count(*) FROM applied_events WHERE delivery_id = "
                           "'sasl-delivery-1'"),
            1);

  for (const auto* process : {ingest.get(), processors.get()}) {
    const auto log = process->log();
    expect_no_password_in(log);
    EXPECT_EQ(log.find("Kafka connection problem"), std::string::npos) << log;
  }
}

TEST_F(KafkaSecurityTest, AWrongPasswordTurnsReadyRedAndIsLoggedOnceWithoutEitherPassword) {
  const std::string wrong = "wrong-" + password_.substr(0, 4) + "-f00dfeed";
  TestDatabase database;
  HttpClient client;
  const auto started = Clock::now();
  auto ingest = start_ingest(kafka_env({{"FAULTLINE_KAFKA_SASL_PASSWORD", wrong}}),
                             "ingest-wrong-password.log");
  auto processors = start_processors(kafka_env({{"FAULTLINE_KAFKA_SASL_PASSWORD", wrong}}),
                                     database.url(), "processors-wrong-password.log");

  const auto ready = poll_ready(client, [](const auto& r) {
    return r.status != 200 && r.body.find("SASL authentication failed") != std::string::npos;
  });
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_NE(ready.body.find("Kafka: SASL authentication failed"), std::string::npos)
      << ready.body << "\n"
      << ingest->log();

  // A delivery cannot be acknowledged: 503, never 202.
  EXPECT_EQ(deliver(client, "wrong-password-1", completed_workflow_run_example()).status, 503);

  // Let librdkafka retry every broker several times over before counting.
  std::this_thread::sleep_until(started + 15s);
  EXPECT_NE(client.get(base_ + "/ready").status, 200);

  const auto ingest_log = ingest->log();
  const auto errors = lines_at(ingest_log, "error", "authentication");
  ASSERT_EQ(errors.size(), 1u) << ingest_log;
  EXPECT_NE(errors[0].find("\"msg\":\"Kafka connection problem\""), std::string::npos);
  EXPECT_NE(errors[0].find("Kafka: SASL authentication failed"), std::string::npos);
  // librdkafka's own line for it passes once per kind (FAIL, a plain client's
  // ERROR), not once per retry and broker.
  EXPECT_LE(lines_at(ingest_log, "warn", "authentication").size(), 2u) << ingest_log;
  expect_no_password_in(ingest_log, wrong);

  // The processors say it once too, and nothing reaches PostgreSQL.
  const auto line = processors->wait_for_log("\"msg\":\"Kafka connection problem\"", 20s);
  EXPECT_NE(line.find("SASL authentication failed"), std::string::npos) << processors->log();
  const auto processors_log = processors->log();
  // One per client (the producer, each of the two consumers), not per retry.
  EXPECT_LE(lines_at(processors_log, "error", "authentication").size(), 3u) << processors_log;
  EXPECT_EQ(connection_gauge(client, *processors), "1");
  // Its /ready says why, as ingest's does.
  const auto port =
      log_field_int(processors->wait_for_log("\"msg\":\"started\"", 20s), "status_port");
  const auto processors_ready = client.get("http://127.0.0.1:" + std::to_string(port) + "/ready");
  EXPECT_EQ(processors_ready.status, 503) << processors_ready.body;
  EXPECT_NE(processors_ready.body.find("SASL authentication failed"), std::string::npos)
      << processors_ready.body;
  expect_no_password_in(processors_log, wrong);
  EXPECT_EQ(database.count("SELECT count(*) FROM applied_events"), 0);
}

TEST_F(KafkaSecurityTest, AnUntrustedCertificateTurnsReadyRedNamingIt) {
  // A CA of our own that never signed the brokers' certificate.
  const auto dir = scratch_path("untrusted-ca");
  const std::string command = "mkdir -p '" + dir + "' && openssl req -x509 -newkey rsa:2048 " +
                              "-nodes -days 1 -subj '/CN=Untrusted test CA' -keyout '" + dir +
                              "/ca.key' -out '" + dir + "/ca.crt' >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;

  HttpClient client;
  const auto started = Clock::now();
  auto ingest = start_ingest(kafka_env({{"FAULTLINE_KAFKA_SSL_CA_LOCATION", dir + "/ca.crt"}}),
                             "ingest-untrusted.log");
  const auto ready = poll_ready(client, [](const auto& r) {
    return r.status != 200 && r.body.find("SSL handshake failed") != std::string::npos;
  });
  EXPECT_EQ(ready.status, 503) << ready.body;
  EXPECT_NE(ready.body.find("Kafka: SSL handshake failed"), std::string::npos) << ready.body << "\n"
                                                                               << ingest->log();
  EXPECT_NE(ready.body.find("certificate verify failed"), std::string::npos) << ready.body;

  std::this_thread::sleep_until(started + 10s);
  const auto log = ingest->log();
  const auto errors = lines_at(log, "error", "certificate verify failed");
  ASSERT_EQ(errors.size(), 1u) << log;
  EXPECT_NE(errors[0].find("\"msg\":\"Kafka connection problem\""), std::string::npos);
  expect_no_password_in(log);
}

}  // namespace
}  // namespace faultline::testing
