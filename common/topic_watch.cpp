#include "common/topic_watch.hpp"

#include "common/log.hpp"

namespace faultline::kafka {
namespace {

using Clock = std::chrono::steady_clock;

// A problem that lasts is logged again this often, so a service never waits
// for a topic without saying so.
constexpr auto kRemindEvery = std::chrono::minutes(1);

std::string joined(const std::vector<std::string>& names, const char* separator) {
  std::string out;
  for (const auto& name : names)
    out += (out.empty() ? "" : separator) + name;
  return out;
}

}  // namespace

std::string TopicStatus::summary() const {
  if (!checked)
    return "the Kafka topics have not been checked yet";
  if (!reachable)
    return "the Kafka cluster did not answer a metadata request: " + error;
  if (!missing.empty())
    return (missing.size() == 1 ? "Kafka topic missing: " : "Kafka topics missing: ") +
           joined(missing, ", ");
  return "";
}

std::optional<Problem> TopicStatus::problem() const {
  if (ready())
    return std::nullopt;
  Problem problem{503, "Service Unavailable", summary() + ".", "unavailable", {}};
  if (reachable && !missing.empty()) {
    problem.detail += missing.size() == 1 ? " Create it with `faultline-processors topics`."
                                          : " Create them with `faultline-processors topics`.";
    problem.extensions.emplace_back("missing_topics", joined(missing, ","));
  }
  return problem;
}

std::vector<std::string> missing_topics(const std::vector<std::string>& wanted,
                                        const std::vector<TopicState>& states) {
  std::vector<std::string> missing;
  for (const auto& name : wanted) {
    bool exists = false;
    for (const auto& state : states)
      exists = exists || (state.name == name && state.exists);
    if (!exists)
      missing.push_back(name);
  }
  return missing;
}

TopicWatch::TopicWatch(const Settings& settings, std::vector<std::string> topics,
                       std::chrono::milliseconds retry, std::chrono::milliseconds recheck)
    : admin_(settings, std::chrono::seconds(2)),
      topics_(std::move(topics)),
      retry_(retry),
      recheck_(recheck),
      thread_([this] { run(); }) {}

TopicWatch::~TopicWatch() {
  {
    const std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

TopicStatus TopicWatch::status() {
  {
    const std::lock_guard lock(mutex_);
    if (status_.checked)
      return status_;
  }
  check();
  const std::lock_guard lock(mutex_);
  return status_;
}

void TopicWatch::check() {
  const std::lock_guard serial(check_mutex_);
  TopicStatus now;
  now.checked = true;
  try {
    now.missing = missing_topics(topics_, admin_.describe_topics(topics_));
    now.reachable = true;
  } catch (const std::exception& e) {
    now.error = e.what();
  }
  report(now);
  const std::lock_guard lock(mutex_);
  status_ = std::move(now);
}

// Logs a change of finding, and a lasting problem once a minute.
void TopicWatch::report(const TopicStatus& now) {
  const auto summary = now.summary();
  const auto at = Clock::now();
  {
    const std::lock_guard lock(mutex_);
    const bool first = !status_.checked;
    if (!first && summary == logged_ && (summary.empty() || at - logged_at_ < kRemindEvery))
      return;
    logged_ = summary;
    logged_at_ = at;
  }
  const auto topics = joined(topics_, ",");
  if (now.ready())
    log::info("Kafka topics present", {{"topics", topics}});
  else if (!now.reachable)
    log::warn("cannot check Kafka topics; trying again",
              {{"topics", topics}, {"error", now.error}, {"retry_ms", retry_.count()}});
  else
    log::error(
        "Kafka topics missing; create them with faultline-processors topics",
        {{"missing", joined(now.missing, ",")}, {"topics", topics}, {"retry_ms", retry_.count()}});
}

void TopicWatch::run() {
  for (;;) {
    check();
    std::unique_lock lock(mutex_);
    const auto wait = status_.ready() ? recheck_ : retry_;
    if (wake_.wait_for(lock, wait, [this] { return stop_; }))
      return;
  }
}

}  // namespace faultline::kafka
