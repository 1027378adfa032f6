#include "processors/topics.hpp"

#include <charconv>
#include <chrono>
#include <thread>

#include "common/topics.hpp"

namespace faultline::processors {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxPartitions = 10000;
constexpr int kMaxReplicationFactor = 32767;  // the protocol's int16

// The same words as Environment::integer, for a flag.
int parse_count(const std::string& flag, const std::string& text, int max) {
  int value = 0;
  const auto* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc{} || ptr != end || value < 1 || value > max)
    throw ConfigError("topics: " + flag + ": expected a whole number from 1 to " +
                      std::to_string(max) + ", got '" + text + "'");
  return value;
}

std::string plural(int n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string describe_spec(const kafka::TopicSpec& spec) {
  std::string out = plural(spec.partitions, "partition", "partitions") + ", replication factor " +
                    std::to_string(spec.replication_factor);
  for (const auto& [name, value] : spec.configs)
    out += ", " + name + "=" + value;
  return out;
}

// Polls `done` every 200 ms until it holds or `deadline` passes.
template <typename Done>
bool wait_until(Clock::time_point deadline, Done done) {
  while (!done()) {
    if (Clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return true;
}

}  // namespace

TopicsOptions parse_topics_options(const std::vector<std::string>& args, const Environment& env) {
  TopicsOptions options;
  options.partitions =
      static_cast<int>(env.integer("FAULTLINE_TOPIC_PARTITIONS", 6, 1, kMaxPartitions));
  options.replication_factor = static_cast<int>(
      env.integer("FAULTLINE_TOPIC_REPLICATION_FACTOR", 3, 1, kMaxReplicationFactor));
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& arg = args[i];
    if (arg != "--partitions" && arg != "--replication-factor")
      throw ConfigError("topics: unknown argument '" + arg + "'");
    if (i + 1 == args.size())
      throw ConfigError("topics: " + arg + " needs a value");
    const auto& value = args[++i];
    if (arg == "--partitions")
      options.partitions = parse_count(arg, value, kMaxPartitions);
    else
      options.replication_factor = parse_count(arg, value, kMaxReplicationFactor);
  }
  return options;
}

std::vector<std::string> topic_differences(const std::vector<kafka::TopicSpec>& wanted,
                                           const std::vector<ObservedTopic>& observed) {
  std::vector<std::string> differences;
  for (const auto& spec : wanted) {
    const ObservedTopic* found = nullptr;
    for (const auto& topic : observed)
      if (topic.state.name == spec.name && topic.state.exists)
        found = &topic;
    const std::string prefix = spec.name + ": ";
    if (!found) {
      differences.push_back(prefix + "missing");
      continue;
    }
    if (found->state.partitions != spec.partitions)
      differences.push_back(prefix + plural(found->state.partitions, "partition", "partitions") +
                            ", expected " + std::to_string(spec.partitions));
    if (found->state.replication_factor != spec.replication_factor)
      differences.push_back(prefix + "replication factor " +
                            std::to_string(found->state.replication_factor) + ", expected " +
                            std::to_string(spec.replication_factor));
    if (!found->configs)
      continue;
    for (const auto& [name, value] : spec.configs) {
      const auto actual = found->configs->find(name);
      if (actual == found->configs->end())
        differences.push_back(prefix + name + " not reported, expected " + value);
      else if (actual->second != value)
        differences.push_back(prefix + name + "=" + actual->second + ", expected " + value);
    }
  }
  return differences;
}

std::vector<std::string> provision_topics(const kafka::Settings& settings,
                                          const TopicsOptions& options, std::ostream& out) {
  kafka::Admin admin(settings, std::chrono::seconds(15));
  const auto specs = kafka::faultline_topic_specs(options.partitions, options.replication_factor);
  std::vector<std::string> names;
  for (const auto& spec : specs)
    names.push_back(spec.name);

  const auto before = admin.describe_topics(names);
  auto seen = [&](const std::string& name) {
    for (const auto& state : before)
      if (state.name == name && state.exists)
        return true;
    return false;
  };

  // The controller is the authority on which topics exist: a broker's
  // metadata can lag behind it, still naming a topic just deleted or not yet
  // one just made. So every topic is asked for, and the controller refuses
  // those that exist (TOPIC_ALREADY_EXISTS) without changing them. The
  // embedded broker names no controller: it makes its topics itself at start.
  const bool has_controller = admin.controller_id(std::chrono::seconds(1)) >= 0;
  std::vector<std::string> existing;  // as the controller says
  if (has_controller) {
    for (const auto& outcome : admin.create_topics(specs)) {
      if (outcome.ok() || outcome.code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        existing.push_back(outcome.name);
      if (outcome.ok()) {
        for (const auto& spec : specs)
          if (spec.name == outcome.name)
            out << "created " << spec.name << " (" << describe_spec(spec) << ")\n";
      } else if (outcome.code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS && !seen(outcome.name)) {
        // Reported below as missing; this says why. (One that exists but we
        // may not create, for want of the right, is only checked.)
        out << "cannot create " << outcome.name << ": "
            << (outcome.message.empty() ? rd_kafka_err2str(outcome.code) : outcome.message) << "\n";
      }
    }
  } else {
    for (const auto& name : names)
      if (!seen(name))
        out << "cannot create " << name << ": the cluster names no controller\n";
  }

  // A new topic reaches every broker's metadata, and gets its leaders, a
  // moment after the controller made it. One still not there by then is
  // reported missing.
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  std::vector<kafka::TopicState> states = before;
  wait_until(deadline, [&] {
    states = admin.describe_topics(names);
    for (const auto& state : states)
      for (const auto& name : existing)
        if (state.name == name && (!state.exists || state.leaderless > 0))
          return false;
    return true;
  });

  // DescribeConfigs goes to the controller too: without one (the embedded
  // broker) the configuration cannot be checked.
  if (!has_controller)
    out << "configuration not checked: the cluster names no controller to describe it (the "
           "embedded broker)\n";
  std::vector<ObservedTopic> observed;
  for (const auto& state : states) {
    ObservedTopic topic{state, std::nullopt};
    if (state.exists && has_controller) {
      wait_until(deadline, [&] {
        try {
          topic.configs = admin.topic_config(state.name);
          return true;
        } catch (const kafka::Error& e) {
          if (e.code() == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE) {
            out << state.name << ": configuration not checked (" << e.what() << ")\n";
            return true;
          }
          // Just created and not yet known to the broker asked: ask again.
          if (e.code() == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && Clock::now() < deadline)
            return false;
          throw;
        }
      });
    }
    observed.push_back(std::move(topic));
  }

  auto differences = topic_differences(specs, observed);
  for (const auto& difference : differences)
    out << difference << "\n";
  if (differences.empty())
    out << "topics: all " << specs.size() << " as expected (" << describe_spec(specs.front())
        << (has_controller ? "" : "; configuration not checked") << ")\n";
  else
    out << "topics: " << plural(static_cast<int>(differences.size()), "difference", "differences")
        << " from " << describe_spec(specs.front()) << "\n";
  return differences;
}

std::vector<std::string> role_topics(const std::set<std::string>& roles) {
  std::set<std::string> needed;
  if (roles.count("runs"))
    needed.insert({topics::kWorkflowRun, topics::kWorkflowJob, topics::kGitLabPipeline,
                   topics::kGitLabJob, topics::kDeadLetter});
  if (roles.count("incidents"))
    needed.insert(
        {topics::kWorkflowRun, topics::kGitLabPipeline, topics::kIncident, topics::kDeadLetter});
  if (roles.count("issues") || roles.count("notifier"))
    needed.insert({topics::kIncident, topics::kDeadLetter});
  if (roles.count("reconciler"))
    needed.insert(topics::kWorkflowRun);
  if (roles.count("fixer"))
    needed.insert({topics::kIncident, topics::kPullRequest, topics::kDeadLetter});
  std::vector<std::string> out;
  for (const char* name :
       {topics::kWorkflowRun, topics::kWorkflowJob, topics::kGitLabPipeline, topics::kGitLabJob,
        topics::kIncident, topics::kPullRequest, topics::kDeadLetter})
    if (needed.count(name))
      out.emplace_back(name);
  return out;
}

}  // namespace faultline::processors
