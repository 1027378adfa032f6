#include "common/kafka.hpp"

#include <algorithm>
#include <cctype>
#include <future>

#include "common/log.hpp"

namespace faultline::kafka {
namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK)
    throw ConfigError("Kafka property " + name + ": " + error);
}

// librdkafka's own messages join our JSON-lines log instead of raw stderr.
void log_from_librdkafka(const rd_kafka_t*, int level, const char* facility, const char* text) {
  const auto ours = level <= 3   ? log::Level::error
                    : level <= 4 ? log::Level::warn
                    : level <= 6 ? log::Level::info
                                 : log::Level::debug;
  if (log::enabled(ours))
    log::write(ours, text, {{"librdkafka", facility}});
}

// Our defaults first, then the operator's FAULTLINE_KAFKA_* properties; the
// caller sets what correctness depends on afterwards, so it cannot be overridden.
ConfPtr make_conf(const Settings& settings,
                  const std::vector<std::pair<std::string, std::string>>& defaults = {}) {
  ConfPtr conf(rd_kafka_conf_new());
  set(conf.get(), "bootstrap.servers", settings.brokers);
  set(conf.get(), "client.id", "faultline");
  rd_kafka_conf_set_log_cb(conf.get(), &log_from_librdkafka);
  for (const auto& [name, value] : defaults)
    set(conf.get(), name, value);
  for (const auto& [name, value] : settings.properties)
    set(conf.get(), name, value);
  return conf;
}

HandlePtr make_handle(rd_kafka_type_t type, ConfPtr conf) {
  char error[512];
  HandlePtr handle(rd_kafka_new(type, conf.get(), error, sizeof error));
  if (!handle)
    throw Error(std::string("cannot create Kafka client: ") + error);
  conf.release();  // rd_kafka_new took ownership of the configuration
  return handle;
}

std::vector<TopicPartition> to_vector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  for (int i = 0; i < list->cnt; ++i)
    out.push_back({list->elems[i].topic, list->elems[i].partition});
  return out;
}

}  // namespace

HandlePtr make_client(rd_kafka_type_t type, const Settings& settings) {
  return make_handle(type, make_conf(settings));
}

Settings Settings::from(const Environment& env) {
  Settings settings;
  settings.brokers = env.text("FAULTLINE_KAFKA_BROKERS", settings.brokers);
  for (const auto& [variable, value] : env.with_prefix("FAULTLINE_KAFKA_")) {
    if (variable == "BROKERS")
      continue;
    std::string name = variable;
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) {
      return c == '_' ? '.' : static_cast<char>(std::tolower(c));
    });
    settings.properties[name] = value;
  }
  return settings;
}

class Producer::Instance {
 public:
  Instance(const Settings& settings, std::chrono::milliseconds delivery_timeout) {
    auto conf = make_conf(settings, {{"linger.ms", "2"}});
    set(conf.get(), "enable.idempotence", "true");
    set(conf.get(), "acks", "all");
    set(conf.get(), "message.timeout.ms", std::to_string(delivery_timeout.count()));
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &Instance::on_delivery);
    rd_kafka_conf_set_error_cb(conf.get(), &Instance::on_error);
    handle_ = make_handle(RD_KAFKA_PRODUCER, std::move(conf));
    poller_ = std::thread([this] {
      while (!stopping_.load())
        rd_kafka_poll(handle_.get(), 100);
    });
  }

  ~Instance() {
    rd_kafka_flush(handle_.get(), 5000);
    stopping_ = true;
    poller_.join();
    // Whatever is still queued fails now, so every report runs before we go.
    rd_kafka_purge(handle_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rd_kafka_poll(handle_.get(), 0);
  }

  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  rd_kafka_t* handle() const { return handle_.get(); }
  bool failed() const {
    return rd_kafka_fatal_error(handle_.get(), nullptr, 0) != RD_KAFKA_RESP_ERR_NO_ERROR;
  }
  bool settled() const { return rd_kafka_outq_len(handle_.get()) == 0; }

 private:
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
    std::unique_ptr<DeliveryReport> report(static_cast<DeliveryReport*>(message->_private));
    if (!report)
      return;
    try {
      (*report)(message->err);
    } catch (const std::exception& e) {
      log::error("delivery report handler failed", {{"error", e.what()}});
    }
  }

  static void on_error(rd_kafka_t* handle, int code, const char* reason, void*) {
    if (code == RD_KAFKA_RESP_ERR__FATAL) {
      char detail[512];
      rd_kafka_fatal_error(handle, detail, sizeof detail);
      log::error("Kafka producer failed fatally; the next message starts a new one",
                 {{"error", detail}});
      return;
    }
    log::warn("Kafka producer error", {{"error", reason}, {"code", code}});
  }

  HandlePtr handle_;
  std::atomic<bool> stopping_{false};
  std::thread poller_;
};

Producer::Producer(const Settings& settings, std::chrono::milliseconds delivery_timeout)
    : settings_(settings),
      delivery_timeout_(delivery_timeout),
      instance_(std::make_shared<Instance>(settings_, delivery_timeout_)) {}

Producer::~Producer() = default;

std::shared_ptr<Producer::Instance> Producer::current() {
  std::lock_guard lock(mutex_);
  if (instance_->failed()) {
    retired_.erase(std::remove_if(retired_.begin(), retired_.end(),
                                  [](const auto& instance) { return instance->settled(); }),
                   retired_.end());
    retired_.push_back(std::move(instance_));
    instance_ = std::make_shared<Instance>(settings_, delivery_timeout_);
    ++restarts_;
    log::warn("started a new Kafka producer after a fatal error", {{"restarts", restarts_}});
  }
  return instance_;
}

int Producer::restarts() const {
  std::lock_guard lock(mutex_);
  return restarts_;
}

void Producer::inject_fatal_error(const char* reason) {
  rd_kafka_test_fatal_error(current()->handle(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                            reason);
}

void Producer::produce(OutgoingMessage message, DeliveryReport report) {
  const auto instance = current();
  auto pending = std::make_unique<DeliveryReport>(std::move(report));
  rd_kafka_headers_t* headers = rd_kafka_headers_new(message.headers.size());
  for (const auto& h : message.headers)
    rd_kafka_header_add(headers, h.name.data(), static_cast<ssize_t>(h.name.size()), h.value.data(),
                        static_cast<ssize_t>(h.value.size()));
  const rd_kafka_resp_err_t err =
      rd_kafka_producev(instance->handle(), RD_KAFKA_V_TOPIC(message.topic.c_str()),
                        RD_KAFKA_V_KEY(message.key.data(), message.key.size()),
                        RD_KAFKA_V_VALUE(message.value.data(), message.value.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                        RD_KAFKA_V_OPAQUE(pending.get()), RD_KAFKA_V_END);
  if (err) {
    rd_kafka_headers_destroy(headers);
    throw Error(std::string("cannot queue message: ") + rd_kafka_err2str(err), err);
  }
  pending.release();  // the message owns it now; on_delivery takes it back
}

rd_kafka_resp_err_t Producer::produce_and_wait(OutgoingMessage message) {
  auto verdict = std::make_shared<std::promise<rd_kafka_resp_err_t>>();
  auto done = verdict->get_future();
  produce(std::move(message), [verdict](rd_kafka_resp_err_t err) { verdict->set_value(err); });
  return done.get();
}

bool Producer::flush(std::chrono::milliseconds timeout) {
  return rd_kafka_flush(current()->handle(), static_cast<int>(timeout.count())) ==
         RD_KAFKA_RESP_ERR_NO_ERROR;
}

bool Producer::reachable(std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* metadata = nullptr;
  const auto err = rd_kafka_metadata(current()->handle(), 0, nullptr, &metadata,
                                     static_cast<int>(timeout.count()));
  if (metadata)
    rd_kafka_metadata_destroy(metadata);
  return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

std::string_view Message::key() const {
  return {static_cast<const char*>(raw_->key), raw_->key_len};
}

std::string_view Message::value() const {
  return {static_cast<const char*>(raw_->payload), raw_->len};
}

std::optional<std::string_view> Message::header(const char* name) const {
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(raw_.get(), &headers) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return std::nullopt;
  const void* value = nullptr;
  std::size_t size = 0;
  if (rd_kafka_header_get_last(headers, name, &value, &size) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return std::nullopt;
  return std::string_view(static_cast<const char*>(value), size);
}

std::vector<Header> Message::headers() const {
  std::vector<Header> out;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(raw_.get(), &headers) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return out;
  const char* name = nullptr;
  const void* value = nullptr;
  std::size_t size = 0;
  for (std::size_t i = 0;
       rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR; ++i)
    out.push_back({name, std::string(static_cast<const char*>(value), size)});
  return out;
}

std::optional<std::int64_t> Message::timestamp_ms() const {
  rd_kafka_timestamp_type_t type;
  const auto ts = rd_kafka_message_timestamp(raw_.get(), &type);
  if (type == RD_KAFKA_TIMESTAMP_NOT_AVAILABLE || ts < 0)
    return std::nullopt;
  return ts;
}

Consumer::Consumer(const Settings& settings, const std::string& group_id,
                   const std::vector<std::string>& topics, RebalanceListener& listener)
    : listener_(listener) {
  // A crashed member holds its partitions until its session times out: kept
  // short, so a restarted processor resumes within seconds. An empty fetch
  // waits at the broker for fetch.wait.max.ms; a real broker answers as soon
  // as data arrives, but librdkafka's mock cluster holds it the whole time,
  // which at the default 500 ms added ~300 ms to every event. 50 ms costs an
  // idle consumer a few empty fetches a second.
  auto conf = make_conf(settings, {{"session.timeout.ms", "6000"},
                                   {"heartbeat.interval.ms", "1000"},
                                   {"max.poll.interval.ms", "300000"},
                                   {"fetch.wait.max.ms", "50"}});
  set(conf.get(), "group.id", group_id);
  set(conf.get(), "enable.auto.commit", "false");
  set(conf.get(), "enable.auto.offset.store", "false");
  set(conf.get(), "auto.offset.reset", "earliest");
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::on_rebalance);
  rd_kafka_conf_set_opaque(conf.get(), this);
  handle_ = make_handle(RD_KAFKA_CONSUMER, std::move(conf));
  rd_kafka_poll_set_consumer(handle_.get());

  PartitionListPtr subscription(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& topic : topics)
    rd_kafka_topic_partition_list_add(subscription.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (const auto err = rd_kafka_subscribe(handle_.get(), subscription.get()))
    throw Error(std::string("cannot subscribe: ") + rd_kafka_err2str(err), err);
}

Consumer::~Consumer() {
  close();
}

void Consumer::close() {
  if (closed_)
    return;
  closed_ = true;
  rd_kafka_consumer_close(handle_.get());
}

std::optional<Message> Consumer::poll(std::chrono::milliseconds timeout) {
  rd_kafka_message_t* raw =
      rd_kafka_consumer_poll(handle_.get(), static_cast<int>(timeout.count()));
  if (!raw)
    return std::nullopt;
  Message message(raw);
  if (raw->err) {
    if (raw->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
      log::warn("Kafka consumer error", {{"error", rd_kafka_message_errstr(raw)}});
    return std::nullopt;
  }
  return message;
}

void Consumer::seek(const std::map<TopicPartition, std::int64_t>& offsets) {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [tp, offset] : offsets)
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  if (rd_kafka_error_t* error = rd_kafka_seek_partitions(handle_.get(), list.get(), 5000)) {
    const std::string what = rd_kafka_error_string(error);
    rd_kafka_error_destroy(error);
    throw Error("cannot seek: " + what);
  }
}

void Consumer::on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto& self = *static_cast<Consumer*>(opaque);
  const auto list = to_vector(partitions);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    const auto offsets = self.listener_.on_assigned(list);
    for (int i = 0; i < partitions->cnt; ++i) {
      const auto found = offsets.find(list[i]);
      partitions->elems[i].offset =
          found == offsets.end() ? RD_KAFKA_OFFSET_BEGINNING : found->second;
    }
    rd_kafka_assign(handle, partitions);
  } else {
    self.listener_.on_revoked(list);
    rd_kafka_assign(handle, nullptr);
  }
}

std::map<TopicPartition, std::int64_t> offsets_for_time(
    const Settings& settings, const std::vector<TopicPartition>& partitions,
    std::int64_t timestamp_ms, std::chrono::milliseconds timeout) {
  auto handle = make_handle(RD_KAFKA_CONSUMER, make_conf(settings));
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& tp : partitions)
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset =
        timestamp_ms;
  std::map<TopicPartition, std::int64_t> found;
  if (rd_kafka_offsets_for_times(handle.get(), list.get(), static_cast<int>(timeout.count())) !=
      RD_KAFKA_RESP_ERR_NO_ERROR)
    return found;
  for (int i = 0; i < list->cnt; ++i) {
    const auto& e = list->elems[i];
    if (e.err == RD_KAFKA_RESP_ERR_NO_ERROR && e.offset >= 0)
      found[{e.topic, e.partition}] = e.offset;
  }
  return found;
}

}  // namespace faultline::kafka
