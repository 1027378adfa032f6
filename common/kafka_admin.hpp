#pragma once

// The Kafka Admin API for what Faultline provisions and checks: topics, their
// partitions, replication and configuration. Blocking calls with a deadline.

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/kafka.hpp"

namespace faultline::kafka {

struct TopicSpec {
  std::string name;
  int partitions = 6;
  int replication_factor = 3;
  std::map<std::string, std::string> configs;
};

// Faultline's four topics as they should be: `min.insync.replicas=2` where
// the factor is 3 or more, so that acks=all means a replicated write.
std::vector<TopicSpec> faultline_topic_specs(int partitions, int replication_factor);

// A topic as the cluster's metadata describes it.
struct TopicState {
  std::string name;
  bool exists = false;
  int partitions = 0;
  // The fewest replicas any of its partitions has.
  int replication_factor = 0;
  // Partitions without a leader right now.
  int leaderless = 0;
};

// What became of one topic in a create or delete call.
struct TopicOutcome {
  std::string name;
  rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_NO_ERROR;
  std::string message;
  bool ok() const { return code == RD_KAFKA_RESP_ERR_NO_ERROR; }
};

class Admin {
 public:
  Admin(const Settings& settings, std::chrono::milliseconds timeout);

  std::vector<TopicOutcome> create_topics(const std::vector<TopicSpec>& topics);
  std::vector<TopicOutcome> delete_topics(const std::vector<std::string>& names);

  // Throws Error when the cluster does not answer within the timeout.
  std::vector<TopicState> describe_topics(const std::vector<std::string>& names);

  // The topic's configuration entries as the brokers report them (defaults included).
  std::map<std::string, std::string> topic_config(const std::string& name);

  // The broker the metadata names as controller (KRaft: one that forwards to
  // it), -1 if it names none of its brokers within `timeout`, as the embedded
  // broker does: such a cluster cannot describe configuration.
  int controller_id(std::chrono::milliseconds timeout);

 private:
  HandlePtr handle_;
  std::chrono::milliseconds timeout_;
};

}  // namespace faultline::kafka
