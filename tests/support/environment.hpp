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

 private:
  std::string admin_url_;
  std::string name_;
  std::string url_;
};

// faultline-devbroker as a child process.
class TestBroker {
 public:
  explicit TestBroker(int brokers = 3);
  const std::string& bootstrap() const { return bootstrap_; }
  // Appends a line to the devbroker's control file: "down 2", "up 2", "leaders 1".
  void control(const std::string& line) const;
  bool running() { return process_->running(); }
  std::string log() const { return process_->log(); }

 private:
  std::unique_ptr<ChildProcess> process_;
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
std::vector<ConsumedMessage> read_topic(const std::string& bootstrap, const std::string& topic,
                                        std::size_t expected, std::chrono::milliseconds timeout);

}  // namespace faultline::testing
