// `faultline-processors topics` as a child process against the broker, and
// the start-up topic check of ingest and the processors (/ready and the log).
// The real cluster (FAULTLINE_TEST_KAFKA=cluster) can lose and gain topics;
// the embedded broker always has all of them, so what needs a missing topic is
// skipped there.

#include <gtest/gtest.h>

#include <functional>
#include <iterator>
#include <memory>
#include <sstream>
#include <thread>

#include "common/json.hpp"
#include "common/kafka_admin.hpp"
#include "common/topics.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

using Clock = std::chrono::steady_clock;

constexpr auto kDeadline = std::chrono::seconds(60);

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

CommandResult run_topics(const std::string& bootstrap, std::vector<std::string> args = {},
                         std::map<std::string, std::string> env = {}) {
  std::vector<std::string> argv{binary("faultline-processors"), "topics"};
  argv.insert(argv.end(), args.begin(), args.end());
  env.emplace("FAULTLINE_KAFKA_BROKERS", bootstrap);
  ChildProcess process(argv, env, scratch_path("topics.log"));
  const int code = process.wait(std::chrono::seconds(120));
  return {code, process.log()};
}

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (line.find(needle) != std::string::npos)
      out.push_back(line);
  return out;
}

// Polls `done` until it holds or the deadline passes; false if it never did.
template <typename Done>
bool eventually(Done done) {
  const auto deadline = Clock::now() + kDeadline;
  while (!done()) {
    if (Clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return true;
}

class TopicsTest : public ::testing::Test {
 protected:
  TopicsTest() : admin_(settings(), std::chrono::seconds(30)) {}

  kafka::Settings settings() const {
    kafka::Settings s;
    s.brokers = broker_.bootstrap();
    return s;
  }

  kafka::TopicState describe(const std::string& name) {
    return admin_.describe_topics({name}).at(0);
  }

  // Waits until every broker's metadata, not only that of the one that
  // happens to answer, shows each topic as `holds` wants: a broker can lag
  // behind the controller for a moment. (A client bootstrapped from one
  // address asks that broker.)
  bool on_every_broker(const std::vector<std::string>& names,
                       const std::function<bool(const kafka::TopicState&)>& holds) {
    std::istringstream list(broker_.bootstrap());
    for (std::string address; std::getline(list, address, ',');) {
      kafka::Settings one;
      one.brokers = address;
      kafka::Admin admin(one, std::chrono::seconds(30));
      if (!eventually([&] {
            for (const auto& state : admin.describe_topics(names))
              if (!holds(state))
                return false;
            return true;
          }))
        return false;
    }
    return true;
  }

  // The topic's configuration, asked again while a broker does not know it yet.
  std::map<std::string, std::string> config_of(const std::string& name) {
    std::map<std::string, std::string> config;
    eventually([&] {
      try {
        config = admin_.topic_config(name);
        return true;
      } catch (const kafka::Error&) {
        return false;
      }
    });
    return config;
  }

  // Deletes the topics and waits until no broker names them.
  void delete_topics(const std::vector<std::string>& names) {
    for (const auto& outcome : admin_.delete_topics(names))
      ASSERT_TRUE(outcome.ok()) << outcome.name << ": " << outcome.message;
    ASSERT_TRUE(on_every_broker(names, [](const auto& state) { return !state.exists; }))
        << "deleted topics still in the metadata";
  }

  // Creates the topic (again while its deletion is still being completed)
  // and waits until every partition has a leader.
  void create_topic(const kafka::TopicSpec& spec) {
    ASSERT_TRUE(eventually([&] {
      const auto outcome = admin_.create_topics({spec}).at(0);
      return outcome.ok() || outcome.code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS;
    })) << "cannot create "
        << spec.name;
    ASSERT_TRUE(on_every_broker({spec.name},
                                [&](const auto& state) {
                                  return state.exists && state.partitions == spec.partitions &&
                                         state.leaderless == 0;
                                }))
        << spec.name << " without leaders";
  }

  std::unique_ptr<ChildProcess> start_ingest() {
    auto process = std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-ingest")},
        std::map<std::string, std::string>{{"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
                                           {"FAULTLINE_WEBHOOK_SECRETS", "topics-test-secret"},
                                           {"FAULTLINE_INGEST_ADDR", "127.0.0.1:0"}},
        scratch_path("ingest.log"));
    const auto port = log_field_int(
        process->wait_for_log("\"msg\":\"listening\"", std::chrono::seconds(20)), "port");
    ready_url_ = "http://127.0.0.1:" + std::to_string(port) + "/ready";
    return process;
  }

  std::unique_ptr<ChildProcess> start_processors(const TestDatabase& database,
                                                 const std::string& roles) {
    auto process = std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-processors"), "--roles", roles},
        std::map<std::string, std::string>{{"FAULTLINE_DATABASE_URL", database.url()},
                                           {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
                                           {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"}},
        scratch_path("processors.log"));
    const auto port = log_field_int(
        process->wait_for_log("\"msg\":\"started\"", std::chrono::seconds(60)), "status_port");
    ready_url_ = "http://127.0.0.1:" + std::to_string(port) + "/ready";
    return process;
  }

  // Polls /ready until it answers `status`; returns the last answer.
  HttpResponse ready_until(long status) {
    HttpClient client;
    HttpResponse response;
    eventually([&] {
      response = client.get(ready_url_);
      return response.status == status;
    });
    return response;
  }

  static std::string missing_topics_member(const HttpResponse& response) {
    const auto document = json::parse(response.body);
    const auto member = json::string_member(document, "missing_topics");
    return member ? std::string(*member) : "";
  }

  // A missing topic named on /ready and in one log line, and /ready green
  // once `faultline-processors topics` created it.
  void expect_ready_once_created(ChildProcess& service, const std::string& missing) {
    const auto red = ready_until(503);
    ASSERT_EQ(red.status, 503) << red.body;
    EXPECT_EQ(red.headers.at("content-type"), "application/problem+json");
    EXPECT_EQ(missing_topics_member(red), missing) << red.body;
    EXPECT_NE(red.body.find("faultline-processors topics"), std::string::npos) << red.body;
    const auto missing_line = service.wait_for_log("Kafka topics missing", kDeadline);
    EXPECT_NE(missing_line.find(missing), std::string::npos) << missing_line;
    EXPECT_NE(missing_line.find("\"level\":\"error\""), std::string::npos) << missing_line;

    const auto created = run_topics(broker_.bootstrap());
    ASSERT_EQ(created.exit_code, 0) << created.output;
    EXPECT_EQ(lines_with(created.output, "created ").size(), 1u) << created.output;

    const auto green = ready_until(200);
    EXPECT_EQ(green.status, 200) << green.body;
    EXPECT_EQ(green.body, R"({"status":"ready"})");
    service.wait_for_log("Kafka topics present", kDeadline);
    // Logged when found and again once a minute while it lasts, not at every check.
    const auto repeats = lines_with(service.log(), "Kafka topics missing").size();
    EXPECT_LE(repeats, 3u) << service.log();
  }

  TestBroker broker_;
  kafka::Admin admin_;
  std::string ready_url_;
};

TEST_F(TopicsTest, CreatesMissingTopicsAndASecondRunChangesNothing) {
  if (!broker_.real())
    GTEST_SKIP() << "the embedded broker has no CreateTopics: its topics always exist";
  std::vector<std::string> names;
  for (const auto& spec : kafka::faultline_topic_specs(6, 3))
    names.push_back(spec.name);
  delete_topics(names);

  const auto first = run_topics(broker_.bootstrap());
  ASSERT_EQ(first.exit_code, 0) << first.output;
  EXPECT_TRUE(on_every_broker(
      names, [](const kafka::TopicState& state) { return state.exists && state.leaderless == 0; }));
  for (const auto& name : names) {
    EXPECT_EQ(lines_with(first.output, "created " + name + " ").size(), 1u) << first.output;
    const auto state = describe(name);
    EXPECT_TRUE(state.exists) << name;
    EXPECT_EQ(state.partitions, 6) << name;
    EXPECT_EQ(state.replication_factor, 3) << name;
    EXPECT_EQ(config_of(name)["min.insync.replicas"], "2") << name;
  }

  const auto second = run_topics(broker_.bootstrap());
  EXPECT_EQ(second.exit_code, 0) << second.output;
  EXPECT_TRUE(lines_with(second.output, "created").empty()) << second.output;
  EXPECT_EQ(
      lines_with(second.output, "topics: all " + std::to_string(names.size()) + " as expected")
          .size(),
      1u)
      << second.output;
  for (const auto& name : names) {
    EXPECT_EQ(describe(name).partitions, 6) << name;
    EXPECT_EQ(config_of(name)["min.insync.replicas"], "2") << name;
  }
}

TEST_F(TopicsTest, ReportsATopicWithTheWrongPartitionCountAndLeavesItAlone) {
  if (!broker_.real())
    GTEST_SKIP() << "the embedded broker cannot delete or create topics";
  delete_topics({topics::kWorkflowJob});
  create_topic({topics::kWorkflowJob, 2, 3, {{"min.insync.replicas", "2"}}});

  const auto result = run_topics(broker_.bootstrap());
  EXPECT_NE(result.exit_code, 0) << result.output;
  EXPECT_NE(result.exit_code, -1) << "did not end: " << result.output;
  EXPECT_EQ(lines_with(result.output, "ci.workflow_job.v1: 2 partitions, expected 6").size(), 1u)
      << result.output;
  // Nothing else differs, and nothing was created or changed.
  EXPECT_EQ(lines_with(result.output, "expected").size(), 1u) << result.output;
  EXPECT_TRUE(lines_with(result.output, "created").empty()) << result.output;
  EXPECT_EQ(describe(topics::kWorkflowJob).partitions, 2);
}

TEST_F(TopicsTest, ReportsAMinInsyncReplicasThatDiffers) {
  if (!broker_.real())
    GTEST_SKIP() << "the embedded broker cannot create topics nor describe their configuration";
  delete_topics({topics::kIncident});
  create_topic({topics::kIncident, 6, 3, {{"min.insync.replicas", "1"}}});

  const auto result = run_topics(broker_.bootstrap());
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_EQ(lines_with(result.output, "ci.incident.v1: min.insync.replicas=1, expected 2").size(),
            1u)
      << result.output;
  EXPECT_EQ(lines_with(result.output, "expected").size(), 1u) << result.output;
}

TEST_F(TopicsTest, ChecksTheTopicsTheBrokerHasAgainstTheFlags) {
  // Both brokers have every topic with 6 partitions and 3 replicas.
  const auto right = run_topics(broker_.bootstrap());
  EXPECT_EQ(right.exit_code, 0) << right.output;
  EXPECT_TRUE(lines_with(right.output, "created").empty()) << right.output;

  const auto wrong = run_topics(broker_.bootstrap(), {"--partitions", "3"});
  EXPECT_EQ(wrong.exit_code, 1) << wrong.output;
  for (const auto& spec : kafka::faultline_topic_specs(6, 3))
    EXPECT_EQ(lines_with(wrong.output, spec.name + ": 6 partitions, expected 3").size(), 1u)
        << wrong.output;
  EXPECT_EQ(lines_with(wrong.output, "expected").size(), std::size(topics::kAll)) << wrong.output;

  const auto from_env =
      run_topics(broker_.bootstrap(), {}, {{"FAULTLINE_TOPIC_REPLICATION_FACTOR", "2"}});
  EXPECT_EQ(from_env.exit_code, 1) << from_env.output;
  EXPECT_EQ(
      lines_with(from_env.output, "ci.deadletter.v1: replication factor 3, expected 2").size(), 1u)
      << from_env.output;
}

TEST(TopicsCommand, ABadFlagValueIsAnErrorNamingIt) {
  // Refused before any broker is asked (nothing listens on port 1).
  const auto partitions = run_topics("127.0.0.1:1", {"--partitions", "six"});
  EXPECT_EQ(partitions.exit_code, 2) << partitions.output;
  EXPECT_NE(partitions.output.find("--partitions: expected a whole number from 1 to 10000, got "
                                   "'six'"),
            std::string::npos)
      << partitions.output;
  EXPECT_NE(partitions.output.find("usage:"), std::string::npos) << partitions.output;

  const auto factor = run_topics("127.0.0.1:1", {"--replication-factor", "0"});
  EXPECT_EQ(factor.exit_code, 2) << factor.output;
  EXPECT_NE(factor.output.find("--replication-factor: expected a whole number"), std::string::npos)
      << factor.output;

  const auto env = run_topics("127.0.0.1:1", {}, {{"FAULTLINE_TOPIC_PARTITIONS", "-1"}});
  EXPECT_EQ(env.exit_code, 2) << env.output;
  EXPECT_NE(env.output.find("FAULTLINE_TOPIC_PARTITIONS"), std::string::npos) << env.output;
}

TEST_F(TopicsTest, IngestAndProcessorsAreReadyWhenTheirTopicsExist) {
  auto ingest = start_ingest();
  const auto ingest_ready = ready_until(200);
  EXPECT_EQ(ingest_ready.status, 200) << ingest_ready.body;
  // (On the real cluster a broker may not know the topics TestBroker just
  // made for a moment, so a "missing" line before this one is possible.)
  const auto ingest_present = ingest->wait_for_log("Kafka topics present", kDeadline);
  EXPECT_NE(ingest_present.find(
                "ci.workflow_run.v1,ci.workflow_job.v1,ci.gitlab_pipeline.v1,ci.gitlab_job.v1,"
                "ci.pull_request.v1"),
            std::string::npos)
      << ingest_present;

  TestDatabase database;
  auto processors = start_processors(database, "runs,incidents,issues");
  const auto processors_ready = ready_until(200);
  EXPECT_EQ(processors_ready.status, 200) << processors_ready.body;
  const auto present = processors->wait_for_log("Kafka topics present", kDeadline);
  // What those roles consume and produce: the runs role reads GitLab's topics too.
  for (const char* name : {topics::kWorkflowRun, topics::kWorkflowJob, topics::kGitLabPipeline,
                           topics::kGitLabJob, topics::kIncident, topics::kDeadLetter})
    EXPECT_NE(present.find(name), std::string::npos) << present;
  EXPECT_EQ(present.find(topics::kPullRequest), std::string::npos) << present;
}

TEST_F(TopicsTest, IngestReadyNamesAMissingTopicUntilItIsCreated) {
  if (!broker_.real())
    GTEST_SKIP() << "the embedded broker always has all its topics and cannot delete one";
  delete_topics({topics::kWorkflowJob});
  auto ingest = start_ingest();
  expect_ready_once_created(*ingest, topics::kWorkflowJob);
}

TEST_F(TopicsTest, IngestReadyNamesAMissingGitLabTopicUntilItIsCreated) {
  if (!broker_.real())
    GTEST_SKIP() << "the embedded broker always has all its topics and cannot delete one";
  delete_topics({topics::kGitLabPipeline});
  auto ingest = start_ingest();
  expect_ready_once_created(*ingest, topics::kGitLabPipeline);
}

TEST_F(TopicsTest, ProcessorsReadyNamesAMissingTopicUntilItIsCreated) {
  if (!broker_.real())
    GTEST_SKIP() << "the embedded broker always has all its topics and cannot delete one";
  delete_topics({topics::kIncident});
  TestDatabase database;
  auto processors = start_processors(database, "issues");
  expect_ready_once_created(*processors, topics::kIncident);
  // And its consumer takes the topic up without a restart.
  const auto assigned = processors->wait_for_log("partitions assigned", kDeadline);
  EXPECT_NE(assigned.find("faultline-issues"), std::string::npos) << processors->log();
}

}  // namespace
}  // namespace faultline::testing
