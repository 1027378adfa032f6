// What `faultline-processors topics` wants and finds, and what a readiness
// endpoint says about missing topics, without a broker.

#include <gtest/gtest.h>

#include "common/topic_watch.hpp"
#include "common/topics.hpp"
#include "processors/topics.hpp"

namespace faultline::processors {
namespace {

using Strings = std::vector<std::string>;

Environment env_of(std::map<std::string, std::string> variables) {
  return Environment(std::move(variables));
}

// What a cluster shows for a topic made exactly as `spec` says.
ObservedTopic as_made(const kafka::TopicSpec& spec) {
  return {{spec.name, true, spec.partitions, spec.replication_factor, 0}, spec.configs};
}

std::vector<ObservedTopic> as_made(const std::vector<kafka::TopicSpec>& specs) {
  std::vector<ObservedTopic> out;
  for (const auto& spec : specs)
    out.push_back(as_made(spec));
  return out;
}

TEST(TopicsOptions, DefaultsToSixPartitionsAndThreeReplicas) {
  const auto options = parse_topics_options({}, env_of({}));
  EXPECT_EQ(options.partitions, 6);
  EXPECT_EQ(options.replication_factor, 3);
}

TEST(TopicsOptions, FlagsOverrideTheEnvironment) {
  const auto env =
      env_of({{"FAULTLINE_TOPIC_PARTITIONS", "12"}, {"FAULTLINE_TOPIC_REPLICATION_FACTOR", "2"}});
  const auto from_env = parse_topics_options({}, env);
  EXPECT_EQ(from_env.partitions, 12);
  EXPECT_EQ(from_env.replication_factor, 2);
  const auto from_flags =
      parse_topics_options({"--replication-factor", "1", "--partitions", "3"}, env);
  EXPECT_EQ(from_flags.partitions, 3);
  EXPECT_EQ(from_flags.replication_factor, 1);
}

std::string error_of(const Strings& args, std::map<std::string, std::string> env = {}) {
  try {
    parse_topics_options(args, env_of(std::move(env)));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(TopicsOptions, ABadValueIsAnErrorNamingTheFlagOrVariable) {
  EXPECT_EQ(error_of({"--partitions", "abc"}),
            "topics: --partitions: expected a whole number from 1 to 10000, got 'abc'");
  EXPECT_EQ(error_of({"--partitions", "0"}),
            "topics: --partitions: expected a whole number from 1 to 10000, got '0'");
  EXPECT_EQ(error_of({"--replication-factor", "-3"}),
            "topics: --replication-factor: expected a whole number from 1 to 32767, got '-3'");
  EXPECT_EQ(error_of({"--replication-factor", "3x"}),
            "topics: --replication-factor: expected a whole number from 1 to 32767, got '3x'");
  EXPECT_EQ(error_of({"--partitions"}), "topics: --partitions needs a value");
  EXPECT_EQ(error_of({"--replicas", "3"}), "topics: unknown argument '--replicas'");
  EXPECT_NE(error_of({}, {{"FAULTLINE_TOPIC_PARTITIONS", "six"}})
                .find("FAULTLINE_TOPIC_PARTITIONS: expected a whole number"),
            std::string::npos);
  EXPECT_NE(error_of({}, {{"FAULTLINE_TOPIC_REPLICATION_FACTOR", "0"}})
                .find("FAULTLINE_TOPIC_REPLICATION_FACTOR"),
            std::string::npos);
}

TEST(TopicDifferences, NoneWhenEveryTopicIsAsWanted) {
  const auto wanted = kafka::faultline_topic_specs(6, 3);
  EXPECT_EQ(topic_differences(wanted, as_made(wanted)), Strings{});
}

TEST(TopicDifferences, EveryTopicIsWantedGitLabsAndPullRequestsToo) {
  Strings names;
  for (const auto& spec : kafka::faultline_topic_specs(6, 3))
    names.push_back(spec.name);
  EXPECT_EQ(names, (Strings{"ci.workflow_run.v1", "ci.workflow_job.v1", "ci.incident.v1",
                            "ci.deadletter.v1", "ci.gitlab_pipeline.v1", "ci.gitlab_job.v1",
                            "ci.pull_request.v1"}));
}

TEST(TopicDifferences, OneLinePerDifferenceNamingTheTopic) {
  const auto wanted = kafka::faultline_topic_specs(6, 3);
  auto observed = as_made(kafka::faultline_topic_specs(6, 3));
  observed[0].state.partitions = 3;                     // ci.workflow_run.v1
  observed[1].state.replication_factor = 1;             // ci.workflow_job.v1
  (*observed[1].configs)["min.insync.replicas"] = "1";  // ci.workflow_job.v1
  observed[2].state.exists = false;                     // ci.incident.v1
  observed[3].state.partitions = 1;                     // ci.deadletter.v1
  EXPECT_EQ(topic_differences(wanted, observed),
            (Strings{"ci.workflow_run.v1: 3 partitions, expected 6",
                     "ci.workflow_job.v1: replication factor 1, expected 3",
                     "ci.workflow_job.v1: min.insync.replicas=1, expected 2",
                     "ci.incident.v1: missing", "ci.deadletter.v1: 1 partition, expected 6"}));
}

TEST(TopicDifferences, ATopicTheClusterDoesNotNameIsMissing) {
  const auto wanted = kafka::faultline_topic_specs(6, 3);
  auto observed = as_made(wanted);
  observed.erase(observed.begin() + 1);
  EXPECT_EQ(topic_differences(wanted, observed), Strings{"ci.workflow_job.v1: missing"});
}

TEST(TopicDifferences, MinInsyncReplicasIsCheckedOnlyFromAFactorOfThree) {
  const auto wanted = kafka::faultline_topic_specs(6, 2);
  auto observed = as_made(wanted);
  for (auto& topic : observed)
    topic.configs = std::map<std::string, std::string>{{"min.insync.replicas", "1"}};
  EXPECT_EQ(topic_differences(wanted, observed), Strings{});

  const auto replicated = kafka::faultline_topic_specs(6, 3);
  auto unreported = as_made(replicated);
  unreported[0].configs = std::map<std::string, std::string>{};
  EXPECT_EQ(topic_differences(replicated, unreported),
            Strings{"ci.workflow_run.v1: min.insync.replicas not reported, expected 2"});
}

TEST(TopicDifferences, ConfigurationTheClusterCannotReportIsNoDifference) {
  // The embedded broker answers no DescribeConfigs.
  const auto wanted = kafka::faultline_topic_specs(6, 3);
  auto observed = as_made(wanted);
  for (auto& topic : observed)
    topic.configs.reset();
  EXPECT_EQ(topic_differences(wanted, observed), Strings{});
  observed[2].state.partitions = 2;
  EXPECT_EQ(topic_differences(wanted, observed),
            Strings{"ci.incident.v1: 2 partitions, expected 6"});
}

TEST(RoleTopics, EachRoleNeedsWhatItConsumesAndProduces) {
  EXPECT_EQ(role_topics({"runs"}),
            (Strings{topics::kWorkflowRun, topics::kWorkflowJob, topics::kGitLabPipeline,
                     topics::kGitLabJob, topics::kDeadLetter}));
  EXPECT_EQ(role_topics({"incidents"}), (Strings{topics::kWorkflowRun, topics::kGitLabPipeline,
                                                 topics::kIncident, topics::kDeadLetter}));
  EXPECT_EQ(role_topics({"issues"}), (Strings{topics::kIncident, topics::kDeadLetter}));
  EXPECT_EQ(role_topics({"reconciler"}), Strings{topics::kWorkflowRun});
  EXPECT_EQ(role_topics({"runs", "incidents", "issues", "reconciler"}),
            (Strings{topics::kWorkflowRun, topics::kWorkflowJob, topics::kGitLabPipeline,
                     topics::kGitLabJob, topics::kIncident, topics::kDeadLetter}));
}

}  // namespace
}  // namespace faultline::processors

namespace faultline::kafka {
namespace {

TEST(MissingTopics, NamesThoseThatDoNotExistInTheOrderWanted) {
  const std::vector<TopicState> states{
      {"b", true, 6, 3, 0}, {"c", false, 0, 0, 0}, {"a", true, 6, 3, 0}};
  EXPECT_EQ(missing_topics({"a", "b", "c", "d"}, states), (std::vector<std::string>{"c", "d"}));
  EXPECT_TRUE(missing_topics({"a", "b"}, states).empty());
}

TEST(TopicStatus, ReadyOnlyWhenCheckedReachableAndComplete) {
  TopicStatus status;
  EXPECT_FALSE(status.ready());
  ASSERT_TRUE(status.problem());
  EXPECT_EQ(status.problem()->status, 503);

  status.checked = true;
  status.error = "metadata: Local: Timed out";
  EXPECT_FALSE(status.ready());
  EXPECT_EQ(status.problem()->detail,
            "the Kafka cluster did not answer a metadata request: metadata: Local: Timed out.");
  EXPECT_TRUE(status.problem()->extensions.empty());

  status.reachable = true;
  EXPECT_TRUE(status.ready());
  EXPECT_FALSE(status.problem());
  EXPECT_EQ(status.summary(), "");
}

TEST(TopicStatus, TheProblemNamesEveryMissingTopic) {
  TopicStatus status{true, true, "", {"ci.workflow_job.v1"}};
  auto problem = status.problem();
  ASSERT_TRUE(problem);
  EXPECT_EQ(problem->status, 503);
  EXPECT_EQ(problem->detail,
            "Kafka topic missing: ci.workflow_job.v1. Create it with `faultline-processors "
            "topics`.");
  EXPECT_EQ(
      problem->extensions,
      (std::vector<std::pair<std::string, std::string>>{{"missing_topics", "ci.workflow_job.v1"}}));

  status.missing.emplace_back("ci.workflow_run.v1");
  problem = status.problem();
  EXPECT_EQ(problem->detail,
            "Kafka topics missing: ci.workflow_job.v1, ci.workflow_run.v1. Create them with "
            "`faultline-processors topics`.");
  EXPECT_EQ(problem->extensions.at(0).second, "ci.workflow_job.v1,ci.workflow_run.v1");
  EXPECT_NE(problem->to_json().find("ci.workflow_run.v1"), std::string::npos);
}

}  // namespace
}  // namespace faultline::kafka
