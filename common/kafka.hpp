#pragma once

// RAII over librdkafka's C API: a producer whose delivery reports are served
// by its own thread, and a consumer that lets its owner choose the offsets on
// every assignment (Faultline keeps offsets in PostgreSQL, not in Kafka).

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "common/config.hpp"

namespace faultline::kafka {

struct HandleDeleter {
  void operator()(rd_kafka_t* handle) const { rd_kafka_destroy(handle); }
};
using HandlePtr = std::unique_ptr<rd_kafka_t, HandleDeleter>;

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionListPtr = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

struct HeadersDeleter {
  void operator()(rd_kafka_headers_t* headers) const { rd_kafka_headers_destroy(headers); }
};
using HeadersPtr = std::unique_ptr<rd_kafka_headers_t, HeadersDeleter>;

struct MetadataDeleter {
  void operator()(const rd_kafka_metadata_t* metadata) const {
    rd_kafka_metadata_destroy(metadata);
  }
};
using MetadataPtr = std::unique_ptr<const rd_kafka_metadata_t, MetadataDeleter>;

struct ErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;

// How librdkafka and the Kafka protocol classify a bare response code:
// retriable as the protocol's error table marks it (NOT_ENOUGH_REPLICAS,
// LEADER_NOT_AVAILABLE, ...) plus librdkafka's own transient codes (timeouts,
// transport, a full queue); fatal only for RD_KAFKA_RESP_ERR__FATAL, which is
// how librdkafka reports a client it has given up (rd_kafka_fatal_error()).
bool is_retriable(rd_kafka_resp_err_t code);
bool is_fatal(rd_kafka_resp_err_t code);

// A Kafka failure that answers the caller's question: may the same be tried
// again, and is the client that raised it still usable?
class Error : public std::runtime_error {
 public:
  // From a response code, classified by is_retriable() and is_fatal().
  Error(const std::string& what, rd_kafka_resp_err_t code = RD_KAFKA_RESP_ERR_UNKNOWN)
      : std::runtime_error(what),
        code_(code),
        retriable_(is_retriable(code)),
        fatal_(is_fatal(code)) {}
  // From librdkafka's error object, which carries its own flags: "context: its text".
  Error(const std::string& context, const rd_kafka_error_t& error);

  rd_kafka_resp_err_t code() const { return code_; }
  // The same operation may succeed later (a timeout, a leader election, a broker away).
  bool retriable() const { return retriable_; }
  // The client is unusable from now on; only a new one will do.
  bool fatal() const { return fatal_; }

 private:
  rd_kafka_resp_err_t code_;
  bool retriable_;
  bool fatal_;
};

// librdkafka's text for one failure without what differs from one retry or
// broker to the next: the "[thrd:…]: " and "rdkafka#producer-1: " prefixes, the
// broker's name ("sasl_ssl://127.0.0.1:9093/bootstrap: ") and the tail
// " (after 784ms in state AUTH_REQ, 1 identical error(s) suppressed)".
std::string stable_reason(std::string_view text);

// True for the error callback's codes that are about reaching the brokers
// (authentication, TLS, transport, name resolution, all brokers down).
bool is_connection_error(rd_kafka_resp_err_t code);

// One sentence for an operator about a connection error: "Kafka: SASL
// authentication failed: …", "Kafka: SSL handshake failed: …", "Kafka: no
// broker is reachable (3/3 brokers are down)".
std::string describe_connection_error(rd_kafka_resp_err_t code, std::string_view reason);

// A client's connection problem: the last one its error callback reported
// while no broker has answered since. A failure of one broker's connection
// (transport, resolution) is no problem while others answer; it becomes the
// detail of "no broker is reachable". Authentication and TLS failures say more
// than "all brokers are down", so that does not replace them. Thread-safe.
class ConnectionHealth {
 public:
  // From the error callback (reason already redacted). Returns the problem's
  // description when it changed: log that once.
  std::optional<std::string> report(rd_kafka_resp_err_t code, std::string_view reason);
  // A broker answered. Returns the problem this ended, if there was one.
  std::optional<std::string> answered();
  std::optional<std::string> problem() const;
  bool troubled() const { return troubled_.load(std::memory_order_relaxed); }

 private:
  mutable std::mutex mutex_;
  std::optional<std::string> problem_;
  std::string last_transport_;  // the last single-broker failure
  std::atomic<bool> troubled_{false};
};

// librdkafka logs one failure again on every retry and for every broker. The
// first line with a given key passes; the same key again within `window` is
// counted and dropped; the next to pass says how many were.
class RepeatFilter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit RepeatFilter(Clock::duration window, std::size_t capacity = 256);
  // Nothing: drop the line. Otherwise how many like it were dropped before it.
  std::optional<std::size_t> admit(const std::string& key, Clock::time_point now);

 private:
  struct Seen {
    Clock::time_point passed;
    std::size_t dropped = 0;
  };
  Clock::duration window_;
  std::size_t capacity_;
  std::map<std::string, Seen> seen_;
};

// Secrets (sasl.password and the like) taken out of a text that might quote
// one: each configured secret value becomes "[redacted]".
std::string redact(std::string_view text);
// True for properties whose value is a secret.
bool is_secret_property(std::string_view name);

// Where the brokers are and any librdkafka property from FAULTLINE_KAFKA_<PROP>.
struct Settings {
  std::string brokers = "127.0.0.1:9092";
  std::map<std::string, std::string> properties;

  static Settings from(const Environment& env);
};

// A plain librdkafka client of `type` (the Admin API's, a reader's) with the
// operator's properties and our logging.
HandlePtr make_client(rd_kafka_type_t type, const Settings& settings);

// The cluster's metadata, every topic included; throws Error when it does not
// answer within `timeout`.
MetadataPtr cluster_metadata(rd_kafka_t* handle, std::chrono::milliseconds timeout);

// Assigns a group-less reader every partition of `topic` from the beginning
// (tests and benches read what a topic holds this way).
void assign_whole_topic(rd_kafka_t* handle, const std::string& topic,
                        std::chrono::milliseconds timeout);

struct Header {
  std::string name;
  std::string value;
};

struct OutgoingMessage {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<Header> headers;
};

// An idempotent producer that starts over after a fatal error. librdkafka
// gives an idempotent producer up for good after one (the broker lost track of
// its sequence numbers, say); the messages it held are reported failed, and
// the next call goes through a new producer instead of failing forever.
class Producer {
 public:
  // Runs once, on the producer's delivery thread, with the broker's verdict.
  using DeliveryReport = std::function<void(rd_kafka_resp_err_t)>;

  // Idempotent, acks=all; a message not acknowledged within `delivery_timeout`
  // is reported as failed.
  Producer(const Settings& settings, std::chrono::milliseconds delivery_timeout);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Queues the message. Throws Error when it cannot even be queued; otherwise
  // `report` is called exactly once.
  void produce(OutgoingMessage message, DeliveryReport report);

  // Queues and waits for the verdict.
  rd_kafka_resp_err_t produce_and_wait(OutgoingMessage message);

  // Waits for every queued message; false if some were still pending at the deadline.
  bool flush(std::chrono::milliseconds timeout);

  // True when the cluster answered a metadata request in time.
  bool reachable(std::chrono::milliseconds timeout);

  // How many times a fatal error made it start over.
  int restarts() const;

  // Why no broker answers (authentication, TLS, all brokers down), until one does.
  std::optional<std::string> connection_problem() const { return health_.problem(); }

  // Raises a fatal error the way a broker's answer would (librdkafka's own
  // hook for this), so fault tests can show the producer starts over.
  void inject_fatal_error(const char* reason);

 private:
  class Instance;  // one librdkafka producer and the thread serving its reports
  std::shared_ptr<Instance> current();

  const Settings settings_;
  const std::chrono::milliseconds delivery_timeout_;
  ConnectionHealth health_;  // outlives every instance, which report to it
  mutable std::mutex mutex_;
  std::shared_ptr<Instance> instance_;
  // Failed producers are kept until the reports of what they held have run.
  std::vector<std::shared_ptr<Instance>> retired_;
  int restarts_ = 0;
};

// A consumed message, owned until it goes out of scope.
class Message {
 public:
  explicit Message(rd_kafka_message_t* raw) : raw_(raw) {}
  std::string_view topic() const { return rd_kafka_topic_name(raw_->rkt); }
  std::int32_t partition() const { return raw_->partition; }
  std::int64_t offset() const { return raw_->offset; }
  std::string_view key() const;
  std::string_view value() const;
  std::optional<std::string_view> header(const char* name) const;
  std::vector<Header> headers() const;
  // Milliseconds since the epoch, if the broker gave one.
  std::optional<std::int64_t> timestamp_ms() const;

 private:
  std::unique_ptr<rd_kafka_message_t, MessageDeleter> raw_;
};

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  bool operator<(const TopicPartition& o) const {
    return std::tie(topic, partition) < std::tie(o.topic, o.partition);
  }
  bool operator==(const TopicPartition& o) const = default;
};

// Told of every change of assignment, on the thread that calls poll().
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  // Returns the offset to start from for each partition (absent: the beginning).
  virtual std::map<TopicPartition, std::int64_t> on_assigned(
      const std::vector<TopicPartition>& partitions) = 0;
  // Called before the partitions are taken away: finish work on them now.
  virtual void on_revoked(const std::vector<TopicPartition>& partitions) = 0;
};

class Consumer {
 public:
  Consumer(const Settings& settings, const std::string& group_id,
           const std::vector<std::string>& topics, RebalanceListener& listener);
  ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // The next message, or nothing if none came within `timeout`. Errors that
  // librdkafka recovers from by itself are logged and skipped.
  std::optional<Message> poll(std::chrono::milliseconds timeout);

  // Moves the fetch position of assigned partitions (after losing a batch).
  void seek(const std::map<TopicPartition, std::int64_t>& offsets);

  // The partition's end offset as the last fetch saw it, without asking the
  // broker; nothing before the first fetch of it.
  std::optional<std::int64_t> cached_end_offset(const TopicPartition& partition) const;

  // Leaves the group cleanly (revokes first).
  void close();

  // Why no broker answers (authentication, TLS, all brokers down), until one
  // does. Safe from any thread; poll() updates it.
  std::optional<std::string> connection_problem() const { return health_.problem(); }

 private:
  static void on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void on_error(rd_kafka_t* handle, int code, const char* reason, void* opaque);
  // While there is a problem, asks the cluster for metadata now and then: an
  // idle consumer receives nothing else that shows a broker answers again.
  void probe_if_troubled(std::chrono::milliseconds timeout);

  RebalanceListener& listener_;
  ConnectionHealth health_;
  std::chrono::steady_clock::time_point last_probe_{};
  HandlePtr handle_;
  bool closed_ = false;
};

// The earliest offset of each partition whose message is at or after
// `timestamp_ms`, as the brokers answer it; a partition they cannot answer for
// (the embedded broker cannot at all) is left out.
std::map<TopicPartition, std::int64_t> offsets_for_time(
    const Settings& settings, const std::vector<TopicPartition>& partitions,
    std::int64_t timestamp_ms, std::chrono::milliseconds timeout);

}  // namespace faultline::kafka
