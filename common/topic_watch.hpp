#pragma once

// Whether the topics a service reads or writes exist. A cluster that does not
// create topics on demand (a real one, configured as infra/README.md says)
// leaves a service without them running but useless, so the services check at
// start and keep checking: /ready is red while a topic is missing, and the log
// names it once when that is found (again once a minute while it lasts), and
// once more when every topic is there.

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/kafka_admin.hpp"
#include "common/problem.hpp"

namespace faultline::kafka {

// What one check found.
struct TopicStatus {
  bool checked = false;    // a check has finished
  bool reachable = false;  // the cluster answered it
  std::string error;       // why it did not
  std::vector<std::string> missing;

  bool ready() const { return checked && reachable && missing.empty(); }
  // What is wrong in one sentence, empty when ready.
  std::string summary() const;
  // The 503 a readiness endpoint answers, nothing when ready. Missing topics
  // are named in `detail` and, comma-separated, in the `missing_topics` member.
  std::optional<Problem> problem() const;
};

// The names of `wanted` that `states` does not show as existing.
std::vector<std::string> missing_topics(const std::vector<std::string>& wanted,
                                        const std::vector<TopicState>& states);

class TopicWatch {
 public:
  // Checks at once on a thread of its own, then every `retry` while something
  // is wrong and every `recheck` while all is well.
  TopicWatch(const Settings& settings, std::vector<std::string> topics,
             std::chrono::milliseconds retry = std::chrono::seconds(1),
             std::chrono::milliseconds recheck = std::chrono::seconds(15));
  ~TopicWatch();
  TopicWatch(const TopicWatch&) = delete;
  TopicWatch& operator=(const TopicWatch&) = delete;

  // The latest check's finding; waits for the first one if it is still running.
  TopicStatus status();

 private:
  void check();
  void report(const TopicStatus& now);
  void run();

  Admin admin_;
  const std::vector<std::string> topics_;
  const std::chrono::milliseconds retry_;
  const std::chrono::milliseconds recheck_;

  std::mutex check_mutex_;  // one check at a time
  std::mutex mutex_;        // guards what follows
  std::condition_variable wake_;
  bool stop_ = false;
  TopicStatus status_;
  std::string logged_;  // the summary last logged
  std::chrono::steady_clock::time_point logged_at_;
  std::thread thread_;
};

}  // namespace faultline::kafka
