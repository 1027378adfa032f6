#include "tests/support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/json.hpp"

extern char** environ;

namespace faultline::testing {

ChildProcess::ChildProcess(std::vector<std::string> argv,
                           const std::map<std::string, std::string>& environment,
                           std::string log_path)
    : log_path_(std::move(log_path)) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string pair = *e;
    const auto eq = pair.find('=');
    if (eq != std::string::npos)
      env[pair.substr(0, eq)] = pair.substr(eq + 1);
  }
  for (auto& [k, v] : environment)
    env[k] = v;
  std::vector<std::string> env_strings;
  for (auto& [k, v] : env)
    env_strings.push_back(k + "=" + v);

  std::vector<char*> args, envp;
  for (auto& a : argv)
    args.push_back(a.data());
  args.push_back(nullptr);
  for (auto& e : env_strings)
    envp.push_back(e.data());
  envp.push_back(nullptr);

  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0)
    throw std::runtime_error("cannot open " + log_path_);
  // posix_spawn, not fork: this process has threads (librdkafka's, the
  // sanitizers'), and a forked child that calls into anything a lock guards
  // before exec, as a sanitizer's interceptors do, can wait forever on a lock
  // held by a thread that did not come along (clang 14's ASan takes no lock
  // around fork). The child's log is then empty and the test times out.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);
  const int failed = posix_spawn(&pid_, args[0], &actions, &attributes, args.data(), envp.data());
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  ::close(log_fd);
  if (failed != 0)
    throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(failed));
}

ChildProcess::~ChildProcess() {
  // Stopped the way an operator stops it, so it exits through its own
  // shutdown (and writes its coverage counters); killed if that takes long.
  if (running()) {
    ::kill(pid_, SIGTERM);
    if (wait(std::chrono::seconds(3)) == -1) {
      ::kill(pid_, SIGKILL);
      wait(std::chrono::seconds(10));
    }
  }
}

void ChildProcess::signal(int sig) {
  if (pid_ > 0)
    ::kill(pid_, sig);
}

bool ChildProcess::running() {
  if (pid_ <= 0 || status_ != -1)
    return false;
  int status = 0;
  const pid_t done = waitpid(pid_, &status, WNOHANG);
  if (done == pid_) {
    status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return false;
  }
  return true;
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline)
      return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return status_;
}

std::string ChildProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ChildProcess::log_tail(std::size_t bytes) const {
  std::string all = log();
  if (all.size() <= bytes)
    return all;
  const auto line_start = all.find('\n', all.size() - bytes);
  return line_start == std::string::npos ? all.substr(all.size() - bytes)
                                         : all.substr(line_start + 1);
}

std::string ChildProcess::wait_for_log(const std::string& text, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::istringstream lines(log());
    for (std::string line; std::getline(lines, line);)
      if (line.find(text) != std::string::npos)
        return line;
    if (!running())
      throw std::runtime_error("process exited before logging '" + text + "':\n" + log());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("timed out waiting for '" + text + "' in:\n" + log());
}

std::string binary(const std::string& name) {
  return std::string(FAULTLINE_BIN_DIR) + "/" + name;
}

std::string scratch_path(const std::string& name) {
  static const std::string dir = [] {
    const char* base = std::getenv("FAULTLINE_TEST_SCRATCH");
    std::string path =
        std::string(base ? base : "/tmp") + "/faultline-test-" + std::to_string(::getpid());
    std::system(("mkdir -p '" + path + "'").c_str());
    return path;
  }();
  static int counter = 0;
  return dir + "/" + std::to_string(++counter) + "-" + name;
}

int log_field_int(const std::string& line, const char* field) {
  const auto document = json::parse(line);
  const auto value = json::integer_member(document, field);
  if (!value)
    throw std::runtime_error(std::string("no integer '") + field + "' in " + line);
  return static_cast<int>(*value);
}

bool wait_for_settled_groups(const ChildProcess& processors, std::chrono::milliseconds quiet,
                             std::chrono::milliseconds timeout) {
  using Clock = std::chrono::steady_clock;
  const auto changes = [&] {
    const auto log = processors.log();
    std::size_t count = 0;
    for (const char* what : {"\"msg\":\"partitions assigned\"", "\"msg\":\"partitions revoked\""})
      for (auto at = log.find(what); at != std::string::npos; at = log.find(what, at + 1))
        ++count;
    return count;
  };
  const auto deadline = Clock::now() + timeout;
  std::size_t seen = changes();
  auto quiet_since = Clock::now();
  while (Clock::now() < deadline) {
    if (const auto now = changes(); now != seen) {
      seen = now;
      quiet_since = Clock::now();
    } else if (seen > 0 && Clock::now() - quiet_since >= quiet) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace faultline::testing
