#include "common/kafka.hpp"

#include <algorithm>
#include <cctype>
#include <future>
#include <mutex>

#include "common/log.hpp"

namespace faultline::kafka {
namespace {

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

// The values of secret properties any client of this process was given, so
// that no log line can quote one (librdkafka itself prints "[redacted]").
struct Secrets {
  std::mutex mutex;
  std::vector<std::string> values;
};
Secrets& secrets() {
  static Secrets instance;
  return instance;
}

void remember_secret(const std::string& value) {
  if (value.empty())
    return;
  auto& s = secrets();
  std::lock_guard lock(s.mutex);
  if (std::find(s.values.begin(), s.values.end(), value) == s.values.end())
    s.values.push_back(value);
}

void set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char error[512];
  if (is_secret_property(name))
    remember_secret(value);
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK)
    throw ConfigError("Kafka property " + name + ": " + redact(error));
}

// librdkafka's own messages join our JSON-lines log instead of raw stderr.
// A connection failure comes once per retry and broker (FAIL): the client's
// error callback reports the problem once at error level (report_error), so
// these are warnings, and the same failure is logged once per five minutes
// with the count of those dropped. Debug lines (FAULTLINE_KAFKA_DEBUG) all pass.
void log_from_librdkafka(const rd_kafka_t*, int level, const char* facility, const char* text) {
  const bool fail = std::string_view(facility) == "FAIL";
  const auto ours = level <= 3 && !fail ? log::Level::error
                    : level <= 4        ? log::Level::warn
                    : level <= 6        ? log::Level::info
                                        : log::Level::debug;
  if (!log::enabled(ours))
    return;
  const std::string line = redact(text);
  if (ours < log::Level::warn) {
    log::write(ours, line, {{"librdkafka", facility}});
    return;
  }
  static std::mutex mutex;
  static RepeatFilter repeats(std::chrono::minutes(5));
  std::optional<std::size_t> dropped;
  {
    std::lock_guard lock(mutex);
    dropped = repeats.admit(std::string(facility) + ": " + stable_reason(line),
                            RepeatFilter::Clock::now());
  }
  if (!dropped)
    return;
  if (*dropped == 0)
    log::write(ours, line, {{"librdkafka", facility}});
  else
    log::write(ours, line, {{"librdkafka", facility}, {"repeats_dropped", *dropped}});
}

// A plain client's errors (the Admin API's, a reader's): warnings, each
// failure once per five minutes like librdkafka's own lines. The services'
// producers and consumers set their own callback and report the problem.
void log_client_error(rd_kafka_t* handle, int, const char* reason, void*) {
  log_from_librdkafka(handle, 4, "ERROR", reason ? reason : "");
}

// The error callback's verdict, shared by producers and consumers: a
// connection problem is logged once per change, at error level; anything else
// as before.
void report_error(ConnectionHealth& health, const char* client, int code, const char* reason) {
  const auto err = static_cast<rd_kafka_resp_err_t>(code);
  const std::string text = redact(reason ? reason : "");
  if (!is_connection_error(err)) {
    log::warn(std::string("Kafka ") + client + " error",
              {{"error", text}, {"code", rd_kafka_err2name(err)}});
    return;
  }
  if (const auto changed = health.report(err, text))
    log::error("Kafka connection problem", {{"client", client}, {"problem", *changed}});
}

void report_answer(ConnectionHealth& health, const char* client) {
  if (!health.troubled())
    return;
  if (const auto ended = health.answered())
    log::info("Kafka connection recovered", {{"client", client}, {"problem", *ended}});
}

// True when the cluster answered a metadata request within `timeout`.
bool answers(rd_kafka_t* handle, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* raw = nullptr;
  const auto err = rd_kafka_metadata(handle, 0, nullptr, &raw, static_cast<int>(timeout.count()));
  const MetadataPtr metadata(raw);
  return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

// How often a troubled client asks whether a broker answers again.
constexpr auto kProbeEvery = std::chrono::seconds(2);

// Our defaults first, then the operator's FAULTLINE_KAFKA_* properties; the
// caller sets what correctness depends on afterwards, so it cannot be overridden.
ConfPtr make_conf(const Settings& settings,
                  const std::vector<std::pair<std::string, std::string>>& defaults = {}) {
  ConfPtr conf(rd_kafka_conf_new());
  set(conf.get(), "bootstrap.servers", settings.brokers);
  set(conf.get(), "client.id", "faultline");
  rd_kafka_conf_set_log_cb(conf.get(), &log_from_librdkafka);
  rd_kafka_conf_set_error_cb(conf.get(), &log_client_error);
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
  static_cast<void>(conf.release());  // rd_kafka_new took ownership of the configuration
  return handle;
}

std::vector<TopicPartition> to_vector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  for (int i = 0; i < list->cnt; ++i)
    out.push_back({list->elems[i].topic, list->elems[i].partition});
  return out;
}

}  // namespace

bool is_retriable(rd_kafka_resp_err_t code) {
  switch (code) {
    // librdkafka's own: the operation may well succeed on another try.
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__ISR_INSUFF:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__WAIT_CACHE:
    case RD_KAFKA_RESP_ERR__RETRY:
    // The broker's, marked retriable in the Kafka protocol's error table.
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_INVALID_FETCH_SESSION_EPOCH:
    case RD_KAFKA_RESP_ERR_LISTENER_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_ELECTION_NOT_NEEDED:
    case RD_KAFKA_RESP_ERR_UNSTABLE_OFFSET_COMMIT:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
      return true;
    default:
      return false;
  }
}

bool is_fatal(rd_kafka_resp_err_t code) {
  return code == RD_KAFKA_RESP_ERR__FATAL;
}

Error::Error(const std::string& context, const rd_kafka_error_t& error)
    : std::runtime_error(context + ": " + rd_kafka_error_string(&error)),
      code_(rd_kafka_error_code(&error)),
      retriable_(rd_kafka_error_is_retriable(&error) != 0),
      fatal_(rd_kafka_error_is_fatal(&error) != 0) {}

std::string stable_reason(std::string_view text) {
  constexpr auto npos = std::string_view::npos;
  if (text.starts_with("[thrd:"))
    if (const auto end = text.find("]: "); end != npos)
      text.remove_prefix(end + 3);
  if (text.starts_with("rdkafka#"))
    if (const auto end = text.find(": "); end != npos)
      text.remove_prefix(end + 2);
  // A broker's name has no spaces and a slash before its node id.
  if (const auto end = text.find(": "); end != npos) {
    const auto head = text.substr(0, end);
    if (head.find(' ') == npos && head.find('/') != npos)
      text.remove_prefix(end + 2);
  }
  if (text.ends_with(")"))
    if (const auto open = text.rfind(" (after "); open != npos)
      text = text.substr(0, open);
  return std::string(text);
}

bool is_connection_error(rd_kafka_resp_err_t code) {
  switch (code) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__SSL:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
      return true;
    default:
      return false;
  }
}

std::string describe_connection_error(rd_kafka_resp_err_t code, std::string_view reason) {
  const std::string stable = stable_reason(reason);
  const auto after = [&](std::string_view prefix) -> std::optional<std::string> {
    if (stable.starts_with(prefix))
      return stable.substr(prefix.size());
    return std::nullopt;
  };
  switch (code) {
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
      if (const auto rest = after("SASL authentication error: "))
        return "Kafka: SASL authentication failed: " + *rest;
      return "Kafka: authentication failed: " + stable;
    case RD_KAFKA_RESP_ERR__SSL:
      if (const auto rest = after("SSL handshake failed: "))
        return "Kafka: SSL handshake failed: " + *rest;
      return "Kafka: SSL error: " + stable;
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
      return "Kafka: no broker is reachable (" + stable + ")";
    case RD_KAFKA_RESP_ERR__RESOLVE:
      return "Kafka: cannot resolve a broker's address: " + stable;
    default:
      return "Kafka: cannot reach a broker: " + stable;
  }
}

std::optional<std::string> ConnectionHealth::report(rd_kafka_resp_err_t code,
                                                    std::string_view reason) {
  std::lock_guard lock(mutex_);
  switch (code) {
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__RESOLVE:
      last_transport_ = stable_reason(reason);
      return std::nullopt;
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN: {
      if (problem_)
        return std::nullopt;  // already said, and maybe more precisely
      std::string description = describe_connection_error(code, reason);
      if (!last_transport_.empty())
        description += "; last error: " + last_transport_;
      problem_ = description;
      troubled_ = true;
      return description;
    }
    default: {
      std::string description = describe_connection_error(code, reason);
      if (problem_ == description)
        return std::nullopt;
      problem_ = description;
      troubled_ = true;
      return description;
    }
  }
}

std::optional<std::string> ConnectionHealth::answered() {
  std::lock_guard lock(mutex_);
  auto ended = std::move(problem_);
  problem_.reset();
  last_transport_.clear();
  troubled_ = false;
  return ended;
}

std::optional<std::string> ConnectionHealth::problem() const {
  std::lock_guard lock(mutex_);
  return problem_;
}

RepeatFilter::RepeatFilter(Clock::duration window, std::size_t capacity)
    : window_(window), capacity_(capacity) {}

std::optional<std::size_t> RepeatFilter::admit(const std::string& key, Clock::time_point now) {
  if (const auto found = seen_.find(key); found != seen_.end()) {
    if (now - found->second.passed < window_) {
      ++found->second.dropped;
      return std::nullopt;
    }
    const auto dropped = found->second.dropped;
    found->second = {now, 0};
    return dropped;
  }
  // Bounded: forget what is past its window, and everything if that is not enough.
  if (seen_.size() >= capacity_) {
    std::erase_if(seen_, [&](const auto& entry) { return now - entry.second.passed >= window_; });
    if (seen_.size() >= capacity_)
      seen_.clear();
  }
  seen_.emplace(key, Seen{now, 0});
  return 0;
}

bool is_secret_property(std::string_view name) {
  for (const std::string_view word : {"password", "secret", "key.pem", "oauthbearer.config"})
    if (name.find(word) != std::string_view::npos)
      return true;
  return false;
}

std::string redact(std::string_view text) {
  std::string out(text);
  auto& s = secrets();
  std::lock_guard lock(s.mutex);
  for (const auto& secret : s.values)
    for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at))
      out.replace(at, secret.size(), "[redacted]");
  return out;
}

HandlePtr make_client(rd_kafka_type_t type, const Settings& settings) {
  return make_handle(type, make_conf(settings));
}

MetadataPtr cluster_metadata(rd_kafka_t* handle, std::chrono::milliseconds timeout) {
  const rd_kafka_metadata_t* raw = nullptr;
  if (const auto err =
          rd_kafka_metadata(handle, 1, nullptr, &raw, static_cast<int>(timeout.count())))
    throw Error(std::string("metadata: ") + rd_kafka_err2str(err), err);
  return MetadataPtr(raw);
}

void assign_whole_topic(rd_kafka_t* handle, const std::string& topic,
                        std::chrono::milliseconds timeout) {
  const auto metadata = cluster_metadata(handle, timeout);
  int partitions = -1;
  for (int t = 0; t < metadata->topic_cnt; ++t)
    if (topic == metadata->topics[t].topic && !metadata->topics[t].err)
      partitions = metadata->topics[t].partition_cnt;
  if (partitions < 0)
    throw Error("no metadata for " + topic, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
  PartitionListPtr list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  if (const auto err = rd_kafka_assign(handle, list.get()))
    throw Error("cannot assign " + topic + ": " + rd_kafka_err2str(err), err);
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
  Instance(const Settings& settings, std::chrono::milliseconds delivery_timeout,
           ConnectionHealth& health)
      : health_(health) {
    auto conf = make_conf(settings, {{"linger.ms", "2"}});
    set(conf.get(), "enable.idempotence", "true");
    set(conf.get(), "acks", "all");
    set(conf.get(), "message.timeout.ms", std::to_string(delivery_timeout.count()));
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &Instance::on_delivery);
    rd_kafka_conf_set_error_cb(conf.get(), &Instance::on_error);
    rd_kafka_conf_set_opaque(conf.get(), this);
    handle_ = make_handle(RD_KAFKA_PRODUCER, std::move(conf));
    poller_ = std::thread([this] {
      auto last_probe = std::chrono::steady_clock::now();
      while (!stopping_.load()) {
        rd_kafka_poll(handle_.get(), 100);
        // A producer with nothing to send hears nothing that shows a broker
        // answers again, so while there is a problem it asks now and then.
        if (health_.troubled() && std::chrono::steady_clock::now() - last_probe >= kProbeEvery) {
          if (answers(handle_.get(), std::chrono::seconds(1)))
            report_answer(health_, "producer");
          last_probe = std::chrono::steady_clock::now();
        }
      }
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
  static void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    std::unique_ptr<DeliveryReport> report(static_cast<DeliveryReport*>(message->_private));
    if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR)
      report_answer(static_cast<Instance*>(opaque)->health_, "producer");
    if (!report)
      return;
    try {
      (*report)(message->err);
    } catch (const std::exception& e) {
      log::error("delivery report handler failed", {{"error", e.what()}});
    }
  }

  static void on_error(rd_kafka_t* handle, int code, const char* reason, void* opaque) {
    if (is_fatal(static_cast<rd_kafka_resp_err_t>(code))) {
      char detail[512];
      rd_kafka_fatal_error(handle, detail, sizeof detail);
      log::error("Kafka producer failed fatally; the next message starts a new one",
                 {{"error", redact(detail)}});
      return;
    }
    report_error(static_cast<Instance*>(opaque)->health_, "producer", code, reason);
  }

  ConnectionHealth& health_;
  HandlePtr handle_;
  std::atomic<bool> stopping_{false};
  std::thread poller_;
};

Producer::Producer(const Settings& settings, std::chrono::milliseconds delivery_timeout)
    : settings_(settings),
      delivery_timeout_(delivery_timeout),
      instance_(std::make_shared<Instance>(settings_, delivery_timeout_, health_)) {}

Producer::~Producer() = default;

std::shared_ptr<Producer::Instance> Producer::current() {
  std::lock_guard lock(mutex_);
  if (instance_->failed()) {
    retired_.erase(std::remove_if(retired_.begin(), retired_.end(),
                                  [](const auto& instance) { return instance->settled(); }),
                   retired_.end());
    retired_.push_back(std::move(instance_));
    instance_ = std::make_shared<Instance>(settings_, delivery_timeout_, health_);
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
  HeadersPtr headers(rd_kafka_headers_new(message.headers.size()));
  for (const auto& h : message.headers)
    rd_kafka_header_add(headers.get(), h.name.data(), static_cast<ssize_t>(h.name.size()),
                        h.value.data(), static_cast<ssize_t>(h.value.size()));
  const rd_kafka_resp_err_t err =
      rd_kafka_producev(instance->handle(), RD_KAFKA_V_TOPIC(message.topic.c_str()),
                        RD_KAFKA_V_KEY(message.key.data(), message.key.size()),
                        RD_KAFKA_V_VALUE(message.value.data(), message.value.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers.get()),
                        RD_KAFKA_V_OPAQUE(pending.get()), RD_KAFKA_V_END);
  if (err)
    throw Error(std::string("cannot queue message: ") + rd_kafka_err2str(err), err);
  static_cast<void>(headers.release());  // the queued message owns the headers now
  static_cast<void>(pending.release());  // the message owns it now; on_delivery takes it back
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
  if (!answers(current()->handle(), timeout))
    return false;
  report_answer(health_, "producer");
  return true;
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
  // idle consumer a few empty fetches a second. A subscribed topic that a
  // broker does not know yet (created late, or recreated and not yet on every
  // broker) is looked for again only at each metadata refresh: every 10 s,
  // not librdkafka's 5 minutes.
  auto conf = make_conf(settings, {{"session.timeout.ms", "6000"},
                                   {"heartbeat.interval.ms", "1000"},
                                   {"max.poll.interval.ms", "300000"},
                                   {"fetch.wait.max.ms", "50"},
                                   {"topic.metadata.refresh.interval.ms", "10000"}});
  set(conf.get(), "group.id", group_id);
  set(conf.get(), "enable.auto.commit", "false");
  set(conf.get(), "enable.auto.offset.store", "false");
  set(conf.get(), "auto.offset.reset", "earliest");
  rd_kafka_conf_set_rebalance_cb(conf.get(), &Consumer::on_rebalance);
  rd_kafka_conf_set_error_cb(conf.get(), &Consumer::on_error);
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
  probe_if_troubled(timeout);
  rd_kafka_message_t* raw =
      rd_kafka_consumer_poll(handle_.get(), static_cast<int>(timeout.count()));
  if (!raw)
    return std::nullopt;
  Message message(raw);
  if (raw->err) {
    if (raw->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
      log::warn("Kafka consumer error", {{"error", redact(rd_kafka_message_errstr(raw))}});
    return std::nullopt;
  }
  report_answer(health_, "consumer");
  return message;
}

void Consumer::probe_if_troubled(std::chrono::milliseconds timeout) {
  const auto now = std::chrono::steady_clock::now();
  if (!health_.troubled() || now - last_probe_ < kProbeEvery)
    return;
  last_probe_ = now;
  // Long enough for a metadata round trip; only while no broker seems to answer.
  if (answers(handle_.get(), std::max(timeout, std::chrono::milliseconds(200))))
    report_answer(health_, "consumer");
}

void Consumer::on_error(rd_kafka_t*, int code, const char* reason, void* opaque) {
  report_error(static_cast<Consumer*>(opaque)->health_, "consumer", code, reason);
}

void Consumer::seek(const std::map<TopicPartition, std::int64_t>& offsets) {
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(offsets.size())));
  for (const auto& [tp, offset] : offsets)
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition)->offset = offset;
  if (const ErrorPtr error{rd_kafka_seek_partitions(handle_.get(), list.get(), 5000)})
    throw Error("cannot seek", *error);
}

std::optional<std::int64_t> Consumer::cached_end_offset(const TopicPartition& partition) const {
  std::int64_t low = RD_KAFKA_OFFSET_INVALID, high = RD_KAFKA_OFFSET_INVALID;
  if (rd_kafka_get_watermark_offsets(handle_.get(), partition.topic.c_str(), partition.partition,
                                     &low, &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
      high < 0)
    return std::nullopt;
  return high;
}

void Consumer::on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t err,
                            rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto& self = *static_cast<Consumer*>(opaque);
  const auto list = to_vector(partitions);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    report_answer(self.health_, "consumer");  // the group coordinator answered
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
