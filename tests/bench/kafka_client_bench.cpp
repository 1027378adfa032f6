// faultline-bench-kafka: what the bare librdkafka client does on the brokers
// at FAULTLINE_KAFKA_BROKERS, the Kafka ceiling scripts/bench measures
// Faultline against in the same run. Prints one JSON document on stdout.
//   faultline-bench-kafka produce SOURCE TARGET SECONDS IN_FLIGHT [LINGER_MS]
//       copies the first message of topic SOURCE (key, value, headers: what
//       faultline-ingest published) into topic TARGET (created if missing: 6
//       partitions, factor 3, min.insync.replicas=2) for SECONDS, idempotent,
//       acks=all, at most IN_FLIGHT messages unacknowledged (default linger 2 ms,
//       as Faultline's producer); messages/s and delivery latency
//   faultline-bench-kafka consume TOPIC EVENTS
//       a plain consumer (a new group, from the earliest offset) reads EVENTS
//       messages of TOPIC; events/s from the group's assignment to the last
//       message (and with the join)
//   faultline-bench-kafka delete-topics TOPIC...
//       deletes the topics and waits until the metadata no longer has them

#include <librdkafka/rdkafka.h>

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/json.hpp"
#include "common/kafka.hpp"
#include "common/kafka_admin.hpp"
#include "common/log.hpp"

namespace {

using namespace faultline;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

[[noreturn]] void fail(const std::string& what) {
  std::cerr << "faultline-bench-kafka: " << what << "\n";
  std::exit(1);
}

std::string brokers() {
  const char* value = std::getenv("FAULTLINE_KAFKA_BROKERS");
  if (!value || !*value)
    fail("FAULTLINE_KAFKA_BROKERS is not set");
  return value;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void set(rd_kafka_conf_t* conf, const char* name, const std::string& value) {
  char error[512];
  if (rd_kafka_conf_set(conf, name, value.c_str(), error, sizeof error) != RD_KAFKA_CONF_OK)
    fail(std::string(name) + ": " + error);
}

kafka::HandlePtr client(rd_kafka_type_t type, rd_kafka_conf_t* conf) {
  char error[512];
  set(conf, "bootstrap.servers", brokers());
  kafka::HandlePtr handle(rd_kafka_new(type, conf, error, sizeof error));
  if (!handle)
    fail(error);
  return handle;
}

kafka::Settings settings() {
  kafka::Settings s;
  s.brokers = brokers();
  return s;
}

template <typename Done>
void wait_until(Done done, Clock::duration limit, const std::string& what) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline)
      fail(what);
    std::this_thread::sleep_for(200ms);
  }
}

// TARGET like Faultline's topics, with a leader for every partition.
void ensure_topic(const std::string& name) {
  kafka::Admin admin(settings(), 30s);
  const kafka::TopicSpec spec{name, 6, 3, {{"min.insync.replicas", "2"}}};
  wait_until(
      [&] {
        const auto outcome = admin.create_topics({spec}).at(0);
        return outcome.ok() || outcome.code == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS;
      },
      60s, "topic " + name + " not created within 60 s");
  wait_until(
      [&] {
        const auto state = admin.describe_topics({name}).at(0);
        return state.exists && state.leaderless == 0 && state.partitions == 6;
      },
      60s, "topic " + name + " without leaders after 60 s");
}

struct Sample {
  std::string key;
  std::string value;
  std::vector<std::pair<std::string, std::string>> headers;
  std::size_t header_bytes() const {
    std::size_t total = 0;
    for (const auto& header : headers)
      total += header.first.size() + header.second.size();
    return total;
  }
};

// The first message any partition of `topic` holds.
Sample first_message(const std::string& topic) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "group.id", "faultline-bench-sample");
  set(conf, "enable.auto.commit", "false");
  auto handle = client(RD_KAFKA_CONSUMER, conf);
  kafka::assign_whole_topic(handle.get(), topic, std::chrono::seconds(10));
  const auto started = Clock::now();
  while (seconds_since(started) < 30) {
    rd_kafka_message_t* raw = rd_kafka_consumer_poll(handle.get(), 500);
    if (!raw)
      continue;
    std::unique_ptr<rd_kafka_message_t, kafka::MessageDeleter> message(raw);
    if (raw->err)
      continue;
    Sample sample;
    sample.key.assign(static_cast<const char*>(raw->key), raw->key_len);
    sample.value.assign(static_cast<const char*>(raw->payload), raw->len);
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(raw, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      std::size_t size = 0;
      for (std::size_t i = 0;
           rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i)
        sample.headers.emplace_back(name, std::string(static_cast<const char*>(value), size));
    }
    rd_kafka_consumer_close(handle.get());
    return sample;
  }
  fail("no message in " + topic + " within 30 s");
}

double percentile(std::vector<double>& sorted, double q) {
  if (sorted.empty())
    return 0;
  const auto index = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1));
  return sorted[index];
}

struct Deliveries {
  long long outstanding = 0;
  long long delivered = 0;
  long long errors = 0;
  bool measuring = false;
  Clock::time_point last;
  std::vector<double> latency_ms;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto& d = *static_cast<Deliveries*>(opaque);
  const auto now = Clock::now();
  --d.outstanding;
  if (message->err) {
    ++d.errors;
    std::cerr << "delivery failed: " << rd_kafka_err2str(message->err) << "\n";
    return;
  }
  if (!d.measuring)
    return;
  ++d.delivered;
  d.last = now;
  const auto sent = Clock::time_point(
      Clock::duration(static_cast<Clock::rep>(reinterpret_cast<std::intptr_t>(message->_private))));
  d.latency_ms.push_back(std::chrono::duration<double, std::milli>(now - sent).count());
}

int produce(const std::string& source, const std::string& target, double seconds, long long window,
            int linger_ms) {
  ensure_topic(target);
  const Sample sample = first_message(source);

  Deliveries d;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  set(conf, "enable.idempotence", "true");
  set(conf, "acks", "all");
  set(conf, "linger.ms", std::to_string(linger_ms));
  rd_kafka_conf_set_dr_msg_cb(conf, &on_delivery);
  rd_kafka_conf_set_opaque(conf, &d);
  auto handle = client(RD_KAFKA_PRODUCER, conf);

  auto send = [&] {
    rd_kafka_headers_t* headers = rd_kafka_headers_new(sample.headers.size());
    for (const auto& [name, value] : sample.headers)
      rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                          static_cast<ssize_t>(value.size()));
    const auto now = static_cast<std::intptr_t>(Clock::now().time_since_epoch().count());
    while (true) {
      const auto err = rd_kafka_producev(
          handle.get(), RD_KAFKA_V_TOPIC(target.c_str()),
          RD_KAFKA_V_KEY(sample.key.data(), sample.key.size()),
          RD_KAFKA_V_VALUE(const_cast<char*>(sample.value.data()), sample.value.size()),
          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
          // The send time rides in the opaque pointer: no allocation per message.
          RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(now)),  // NOLINT(performance-no-int-to-ptr)
          RD_KAFKA_V_END);
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
        break;
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_headers_destroy(headers);
        fail(std::string("produce: ") + rd_kafka_err2str(err));
      }
      rd_kafka_poll(handle.get(), 1);
    }
    ++d.outstanding;
  };

  // The producer id, the connections and the partition's leader, before the clock starts.
  send();
  if (rd_kafka_flush(handle.get(), 30000) || d.errors)
    fail("the first message was not acknowledged within 30 s");

  d.measuring = true;
  d.latency_ms.reserve(1 << 20);
  const auto started = Clock::now();
  const auto stop =
      started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
  long long sent = 0;
  while (Clock::now() < stop) {
    while (d.outstanding < window) {
      send();
      ++sent;
    }
    rd_kafka_poll(handle.get(), 1);
  }
  if (rd_kafka_flush(handle.get(), 60000))
    fail("messages still unacknowledged 60 s after the last was sent");
  const double elapsed = std::chrono::duration<double>(d.last - started).count();
  std::sort(d.latency_ms.begin(), d.latency_ms.end());
  const double rate = static_cast<double>(d.delivered) / elapsed;
  const double message_bytes =
      static_cast<double>(sample.value.size() + sample.key.size() + sample.header_bytes());

  std::cout << json::object([&](json::Writer& out) {
    out.Key("benchmark");
    out.String("kafka-produce");
    out.Key("client");
    json::write(out, std::string("librdkafka ") + rd_kafka_version_str());
    out.Key("topic");
    json::write(out, target);
    out.Key("copied_from");
    json::write(out, source);
    out.Key("message");
    out.StartObject();
    out.Key("value_bytes");
    out.Uint64(sample.value.size());
    out.Key("key_bytes");
    out.Uint64(sample.key.size());
    out.Key("headers");
    out.Uint64(sample.headers.size());
    out.Key("header_bytes");
    out.Uint64(sample.header_bytes());
    out.EndObject();
    out.Key("acks");
    out.String("all");
    out.Key("idempotent");
    out.Bool(true);
    out.Key("linger_ms");
    out.Int(linger_ms);
    out.Key("in_flight");
    out.Int64(window);
    out.Key("seconds");
    out.Double(elapsed);
    out.Key("messages");
    out.Int64(d.delivered);
    out.Key("errors");
    out.Int64(d.errors);
    out.Key("messages_per_s");
    out.Double(rate);
    out.Key("mb_per_s");
    out.Double(rate * message_bytes / 1e6);
    out.Key("latency_ms");
    out.StartObject();
    out.Key("p50");
    out.Double(percentile(d.latency_ms, 0.50));
    out.Key("p99");
    out.Double(percentile(d.latency_ms, 0.99));
    out.Key("max");
    out.Double(d.latency_ms.empty() ? 0 : d.latency_ms.back());
    out.EndObject();
  }) << "\n";
  return d.errors == 0 ? 0 : 1;
}

// When the group first gave this consumer its partitions.
struct Assignment {
  bool assigned = false;
  Clock::time_point at;
};

void on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t err,
                  rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto& a = *static_cast<Assignment*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    rd_kafka_assign(handle, partitions);
    if (!a.assigned) {
      a.assigned = true;
      a.at = Clock::now();
    }
  } else {
    rd_kafka_assign(handle, nullptr);
  }
}

int consume(const std::string& topic, long long events) {
  Assignment assignment;
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set_rebalance_cb(conf, &on_rebalance);
  rd_kafka_conf_set_opaque(conf, &assignment);
  set(conf, "group.id",
      "faultline-bench-raw-" + std::to_string(::getpid()) + "-" +
          std::to_string(std::chrono::system_clock::now().time_since_epoch().count()));
  set(conf, "auto.offset.reset", "earliest");
  set(conf, "enable.auto.commit", "false");
  auto handle = client(RD_KAFKA_CONSUMER, conf);
  rd_kafka_poll_set_consumer(handle.get());
  kafka::PartitionListPtr subscription(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(subscription.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  const auto subscribed = Clock::now();
  if (const auto err = rd_kafka_subscribe(handle.get(), subscription.get()))
    fail(std::string("cannot subscribe: ") + rd_kafka_err2str(err));

  long long read = 0;
  unsigned long long bytes = 0;
  Clock::time_point first{}, last{};
  while (read < events) {
    if (seconds_since(subscribed) > 600)
      fail("read " + std::to_string(read) + " of " + std::to_string(events) + " in 10 minutes");
    rd_kafka_message_t* raw = rd_kafka_consumer_poll(handle.get(), 500);
    if (!raw)
      continue;
    std::unique_ptr<rd_kafka_message_t, kafka::MessageDeleter> message(raw);
    if (raw->err) {
      if (raw->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
        std::cerr << "consume: " << rd_kafka_message_errstr(raw) << "\n";
      continue;
    }
    if (read == 0)
      first = Clock::now();
    ++read;
    bytes += raw->len + raw->key_len;
    last = Clock::now();
  }
  rd_kafka_consumer_close(handle.get());
  // From the assignment: librdkafka fetches ahead before the first message is
  // handed over, so that time is the consumer's too; the group join is not
  // (faultline-bench-pipeline's clock starts after the processors joined).
  const double join = std::chrono::duration<double>(assignment.at - subscribed).count();
  const double elapsed = std::chrono::duration<double>(last - assignment.at).count();
  const double first_message = std::chrono::duration<double>(first - assignment.at).count();
  std::cout << json::object([&](json::Writer& out) {
    out.Key("benchmark");
    out.String("kafka-consume");
    out.Key("client");
    json::write(out, std::string("librdkafka ") + rd_kafka_version_str());
    out.Key("topic");
    json::write(out, topic);
    out.Key("events");
    out.Int64(read);
    out.Key("bytes");
    out.Uint64(bytes);
    out.Key("join_seconds");
    out.Double(join);
    out.Key("first_message_after_assignment_s");
    out.Double(first_message);
    out.Key("seconds");
    out.Double(elapsed);
    out.Key("events_per_s");
    out.Double(static_cast<double>(read) / elapsed);
    out.Key("events_per_s_with_join");
    out.Double(static_cast<double>(read) / (join + elapsed));
    out.Key("mb_per_s");
    out.Double(static_cast<double>(bytes) / elapsed / 1e6);
  }) << "\n";
  return 0;
}

int delete_topics(const std::vector<std::string>& names) {
  kafka::Admin admin(settings(), 30s);
  admin.delete_topics(names);  // unknown topics are fine: they are what we want
  wait_until(
      [&] {
        for (const auto& state : admin.describe_topics(names))
          if (state.exists)
            return false;
        return true;
      },
      60s, "deleted topics still in the metadata after 60 s");
  return 0;
}

int usage() {
  std::cerr << "usage: faultline-bench-kafka produce SOURCE TARGET SECONDS IN_FLIGHT [LINGER_MS]\n"
               "       faultline-bench-kafka consume TOPIC EVENTS\n"
               "       faultline-bench-kafka delete-topics TOPIC...\n"
               "(brokers from FAULTLINE_KAFKA_BROKERS)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  log::configure("bench", log::Level::warn);
  try {
    if (args.size() >= 5 && args[0] == "produce") {
      const double seconds = std::atof(args[3].c_str());
      const long long window = std::atoll(args[4].c_str());
      const int linger = args.size() > 5 ? std::atoi(args[5].c_str()) : 2;
      if (seconds <= 0 || window <= 0 || linger < 0)
        return usage();
      return produce(args[1], args[2], seconds, window, linger);
    }
    if (args.size() == 3 && args[0] == "consume") {
      const long long events = std::atoll(args[2].c_str());
      if (events <= 0)
        return usage();
      return consume(args[1], events);
    }
    if (args.size() >= 2 && args[0] == "delete-topics")
      return delete_topics({args.begin() + 1, args.end()});
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return usage();
}
