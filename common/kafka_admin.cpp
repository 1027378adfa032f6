#include "common/kafka_admin.hpp"

#include <memory>

#include "common/topics.hpp"

namespace faultline::kafka {
namespace {

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
using QueuePtr = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
using EventPtr = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

struct OptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* options) const {
    rd_kafka_AdminOptions_destroy(options);
  }
};
using OptionsPtr = std::unique_ptr<rd_kafka_AdminOptions_t, OptionsDeleter>;

struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* topic) const { rd_kafka_NewTopic_destroy(topic); }
};
struct DeleteTopicDeleter {
  void operator()(rd_kafka_DeleteTopic_t* topic) const { rd_kafka_DeleteTopic_destroy(topic); }
};
struct ConfigResourceDeleter {
  void operator()(rd_kafka_ConfigResource_t* resource) const {
    rd_kafka_ConfigResource_destroy(resource);
  }
};

OptionsPtr options_for(rd_kafka_t* handle, rd_kafka_admin_op_t op,
                       std::chrono::milliseconds timeout) {
  OptionsPtr options(rd_kafka_AdminOptions_new(handle, op));
  char error[512];
  const int millis = static_cast<int>(timeout.count());
  rd_kafka_AdminOptions_set_request_timeout(options.get(), millis, error, sizeof error);
  if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS)
    rd_kafka_AdminOptions_set_operation_timeout(options.get(), millis, error, sizeof error);
  return options;
}

// Waits for the one result event an admin call posts on `queue`.
EventPtr await_result(rd_kafka_queue_t* queue, std::chrono::milliseconds timeout,
                      const char* what) {
  // The call itself times out first; the margin only covers its reporting.
  EventPtr event(rd_kafka_queue_poll(queue, static_cast<int>(timeout.count()) + 5000));
  if (!event)
    throw Error(std::string(what) + ": no answer from the cluster", RD_KAFKA_RESP_ERR__TIMED_OUT);
  if (const auto err = rd_kafka_event_error(event.get()))
    throw Error(std::string(what) + ": " + rd_kafka_event_error_string(event.get()), err);
  return event;
}

std::vector<TopicOutcome> outcomes(const rd_kafka_topic_result_t* const* results,
                                   std::size_t count) {
  std::vector<TopicOutcome> out;
  for (std::size_t i = 0; i < count; ++i) {
    const char* message = rd_kafka_topic_result_error_string(results[i]);
    out.push_back({rd_kafka_topic_result_name(results[i]), rd_kafka_topic_result_error(results[i]),
                   message ? message : ""});
  }
  return out;
}

}  // namespace

std::vector<TopicSpec> faultline_topic_specs(int partitions, int replication_factor) {
  std::vector<TopicSpec> specs;
  for (const char* name : topics::kAll) {
    TopicSpec spec{name, partitions, replication_factor, {}};
    if (replication_factor >= 3)
      spec.configs.emplace("min.insync.replicas", "2");
    specs.push_back(std::move(spec));
  }
  return specs;
}

Admin::Admin(const Settings& settings, std::chrono::milliseconds timeout)
    : handle_(make_client(RD_KAFKA_PRODUCER, settings)), timeout_(timeout) {}

std::vector<TopicOutcome> Admin::create_topics(const std::vector<TopicSpec>& topics) {
  std::vector<std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>> owned;
  std::vector<rd_kafka_NewTopic_t*> raw;
  char error[512];
  for (const auto& spec : topics) {
    owned.emplace_back(rd_kafka_NewTopic_new(spec.name.c_str(), spec.partitions,
                                             spec.replication_factor, error, sizeof error));
    if (!owned.back())
      throw Error("topic " + spec.name + ": " + error, RD_KAFKA_RESP_ERR__INVALID_ARG);
    for (const auto& [name, value] : spec.configs)
      rd_kafka_NewTopic_set_config(owned.back().get(), name.c_str(), value.c_str());
    raw.push_back(owned.back().get());
  }
  QueuePtr queue(rd_kafka_queue_new(handle_.get()));
  const auto options = options_for(handle_.get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_);
  rd_kafka_CreateTopics(handle_.get(), raw.data(), raw.size(), options.get(), queue.get());
  const auto event = await_result(queue.get(), timeout_, "CreateTopics");
  std::size_t count = 0;
  const auto* results =
      rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(event.get()), &count);
  return outcomes(results, count);
}

std::vector<TopicOutcome> Admin::delete_topics(const std::vector<std::string>& names) {
  std::vector<std::unique_ptr<rd_kafka_DeleteTopic_t, DeleteTopicDeleter>> owned;
  std::vector<rd_kafka_DeleteTopic_t*> raw;
  for (const auto& name : names) {
    owned.emplace_back(rd_kafka_DeleteTopic_new(name.c_str()));
    raw.push_back(owned.back().get());
  }
  QueuePtr queue(rd_kafka_queue_new(handle_.get()));
  const auto options = options_for(handle_.get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_);
  rd_kafka_DeleteTopics(handle_.get(), raw.data(), raw.size(), options.get(), queue.get());
  const auto event = await_result(queue.get(), timeout_, "DeleteTopics");
  std::size_t count = 0;
  const auto* results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event.get()), &count);
  return outcomes(results, count);
}

std::vector<TopicState> Admin::describe_topics(const std::vector<std::string>& names) {
  const auto metadata = cluster_metadata(handle_.get(), timeout_);
  std::vector<TopicState> out;
  for (const auto& name : names) {
    TopicState state{name};
    for (int t = 0; t < metadata->topic_cnt; ++t) {
      const auto& topic = metadata->topics[t];
      if (name != topic.topic || topic.err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART)
        continue;
      state.exists = true;
      state.partitions = topic.partition_cnt;
      for (int p = 0; p < topic.partition_cnt; ++p) {
        const auto& partition = topic.partitions[p];
        if (p == 0 || partition.replica_cnt < state.replication_factor)
          state.replication_factor = partition.replica_cnt;
        if (partition.leader < 0)
          ++state.leaderless;
      }
    }
    out.push_back(state);
  }
  return out;
}

std::map<std::string, std::string> Admin::topic_config(const std::string& name) {
  std::unique_ptr<rd_kafka_ConfigResource_t, ConfigResourceDeleter> resource(
      rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, name.c_str()));
  rd_kafka_ConfigResource_t* raw = resource.get();
  QueuePtr queue(rd_kafka_queue_new(handle_.get()));
  const auto options = options_for(handle_.get(), RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_);
  rd_kafka_DescribeConfigs(handle_.get(), &raw, 1, options.get(), queue.get());
  const auto event = await_result(queue.get(), timeout_, "DescribeConfigs");
  std::size_t count = 0;
  const auto* resources = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event.get()), &count);
  std::map<std::string, std::string> configs;
  for (std::size_t r = 0; r < count; ++r) {
    if (const auto err = rd_kafka_ConfigResource_error(resources[r]))
      throw Error(
          "DescribeConfigs " + name + ": " + rd_kafka_ConfigResource_error_string(resources[r]),
          err);
    std::size_t entries = 0;
    const auto* list = rd_kafka_ConfigResource_configs(resources[r], &entries);
    for (std::size_t e = 0; e < entries; ++e) {
      const char* value = rd_kafka_ConfigEntry_value(list[e]);
      configs[rd_kafka_ConfigEntry_name(list[e])] = value ? value : "";
    }
  }
  return configs;
}

int Admin::controller_id(std::chrono::milliseconds timeout) {
  const int id = rd_kafka_controllerid(handle_.get(), static_cast<int>(timeout.count()));
  if (id < 0)
    return -1;
  // The embedded broker answers 0, which is none of its brokers (1 to N).
  const auto metadata = cluster_metadata(handle_.get(), timeout_);
  for (int b = 0; b < metadata->broker_cnt; ++b)
    if (metadata->brokers[b].id == id)
      return id;
  return -1;
}

}  // namespace faultline::kafka
