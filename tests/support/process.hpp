#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace faultline::testing {

// A child process whose stderr goes to a log file. Stopped (SIGTERM, then
// SIGKILL after 3 s) and reaped when it goes out of scope.
class ChildProcess {
 public:
  ChildProcess(std::vector<std::string> argv, const std::map<std::string, std::string>& environment,
               std::string log_path);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int sig);
  // Exit status (or 128 + signal); -1 if it did not end in time.
  int wait(std::chrono::milliseconds timeout);
  bool running();
  std::string log() const;
  // The last `bytes` of the log, from a line's start: what a failure message can hold.
  std::string log_tail(std::size_t bytes) const;
  // Waits until the log holds `text`; returns the first line that does.
  std::string wait_for_log(const std::string& text, std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  int status_ = -1;
  std::string log_path_;
};

// A binary of build/bin.
std::string binary(const std::string& name);
// A fresh path under the test's scratch directory.
std::string scratch_path(const std::string& name);

// Reads a JSON-lines log line's integer field, e.g. "port".
int log_field_int(const std::string& line, const char* field);

// Waits until a processors log has had no partitions assigned or revoked for
// `quiet`. A role's consumers join one after the other, so the first
// assignment is followed by a rebalance (on a real cluster seconds later),
// and until it ends a partition may be owned by no consumer. False if the
// groups were still changing at `timeout`.
bool wait_for_settled_groups(const ChildProcess& processors, std::chrono::milliseconds quiet,
                             std::chrono::milliseconds timeout);

}  // namespace faultline::testing
