#pragma once

// `faultline-processors topics`: creates Faultline's topics through the Admin
// API and checks the ones that exist against what they should be; and which
// topics each processor role needs.

#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "common/config.hpp"
#include "common/kafka_admin.hpp"

namespace faultline::processors {

struct TopicsOptions {
  int partitions = 6;
  int replication_factor = 3;
};

// From `--partitions N` / `--replication-factor R` (args after the
// subcommand), else FAULTLINE_TOPIC_PARTITIONS / _REPLICATION_FACTOR, else 6
// and 3. Throws ConfigError naming the flag or variable that is wrong.
TopicsOptions parse_topics_options(const std::vector<std::string>& args, const Environment& env);

// A topic as the cluster shows it, with the configuration entries that were
// asked for (absent: the cluster cannot say, as the embedded broker cannot).
struct ObservedTopic {
  kafka::TopicState state;
  std::optional<std::map<std::string, std::string>> configs;
};

// One line per way the observed topics differ from `wanted`, such as
// "ci.workflow_run.v1: 3 partitions, expected 6"; empty when all is right.
// Configuration the cluster cannot report is not a difference.
std::vector<std::string> topic_differences(const std::vector<kafka::TopicSpec>& wanted,
                                           const std::vector<ObservedTopic>& observed);

// Creates the missing topics, then checks all of them; writes what it did and
// every difference to `out`. Returns the differences (empty: all is right).
// Throws kafka::Error when the cluster does not answer.
std::vector<std::string> provision_topics(const kafka::Settings& settings,
                                          const TopicsOptions& options, std::ostream& out);

// The topics the roles consume and produce (dead letters included), in a
// stable order.
std::vector<std::string> role_topics(const std::set<std::string>& roles);

}  // namespace faultline::processors
