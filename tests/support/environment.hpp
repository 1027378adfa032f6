#pragma once

// The real services a test runs against: a throwaway database on the
// PostgreSQL server that scripts/test started, and an embedded broker of its own.

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/process.hpp"

namespace faultline::testing {

// A database created for one test (and dropped after it) on the server named
// by FAULTLINE_TEST_DATABASE_URL, with every migration applied.
class TestDatabase {
 public:
  TestDatabase();
  ~TestDatabase();
  TestDatabase(const TestDatabase&) = delete;
  TestDatabase& operator=(const TestDatabase&) = delete;

  const std::string& url() const { return url_; }
  // One value from a query with no parameters (tests only).
  std::string scalar(const std::string& sql) const;
  long long count(const std::string& sql) const { return std::stoll(scalar(sql)); }
  // A statement with no parameters and no result (tests only).
  void execute(const std::string& sql) const;
  // Polls `sql` until it counts `expected` or `timeout` passes; returns the last count.
  long long wait_for_count(const std::string& sql, long long expected,
                           std::chrono::milliseconds timeout = std::chrono::seconds(40)) const;
  // Waits until some session of this database waits for a lock in a statement
  // that names `table`; a role with several consumers may have more than one
  // there, which is as good.
  bool wait_until_blocked_on(const std::string& table,
                             std::chrono::milliseconds timeout = std::chrono::seconds(40)) const;

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

// The broker a test runs against. With FAULTLINE_TEST_KAFKA=embedded (the
// default) it is faultline-devbroker as a child process, brokers and topics of
// its own. With FAULTLINE_TEST_KAFKA=cluster it is the real three-node cluster
// that scripts/test started (FAULTLINE_TEST_KAFKA_CLUSTER names its directory):
// every node running, Faultline's topics (and `extra_topics`) deleted and
// created afresh, so each test starts from empty topics.
class TestBroker {
 public:
  explicit TestBroker(int brokers = 3, const std::vector<std::string>& extra_topics = {});
  TestBroker(const TestBroker&) = delete;
  TestBroker& operator=(const TestBroker&) = delete;

  // True when the suites run against the real cluster.
  static bool real_cluster();
  bool real() const { return !cluster_dir_.empty(); }
  const std::string& bootstrap() const { return bootstrap_; }
  bool running();
  std::string log() const;

  // Embedded broker only: appends a line to the devbroker's control file,
  // "down 2", "up 2", "leaders 1".
  void control(const std::string& line) const;

  // Real cluster only (infra/kafka/cluster): SIGKILL a node; SIGTERM it and
  // wait for its controlled shutdown; start it again and wait until it is
  // back in the metadata; the node leading the most of Faultline's partitions.
  void kill_node(int node) const;
  void terminate_node(int node) const;
  void restart_node(int node) const;
  int busiest_node() const;
  int leader_of(const std::string& topic, int partition) const;

 private:
  std::string cluster(const std::string& verb) const;
  void reset_topics(const std::vector<std::string>& extra_topics) const;

  std::unique_ptr<ChildProcess> process_;
  std::string cluster_dir_;
  std::string bootstrap_;
  std::string control_file_;
};

// Reads what a topic holds from the beginning, with a plain librdkafka
// consumer (no group), until `expected` messages arrived or `timeout` passed.
struct ConsumedMessage {
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  int partition = 0;
};
// The value of a message's header `name`, or "" without one.
std::string header_of(const ConsumedMessage& message, const std::string& name);

std::vector<ConsumedMessage> read_topic(const std::string& bootstrap, const std::string& topic,
                                        std::size_t expected, std::chrono::milliseconds timeout);

}  // namespace faultline::testing
