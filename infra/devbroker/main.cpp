// faultline-devbroker: librdkafka's in-process mock cluster, served until
// SIGTERM, with Faultline's topics created. Everything lives in memory.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "common/http.hpp"
#include "common/kafka.hpp"
#include "common/log.hpp"
#include "common/topics.hpp"

namespace {

constexpr const char* kUsage =
    R"(usage: faultline-devbroker [--brokers N] [--partitions P] [--bootstrap-file F]
                           [--control-file C]

Starts an embedded Kafka cluster (librdkafka's mock cluster) on loopback with
N brokers (default 3) and creates Faultline's topics with P partitions each
(default 6). Prints the bootstrap list as the first line of stdout (and writes
it to F), then serves until SIGTERM or SIGINT. Nothing is persisted.

With --control-file, lines appended to C inject faults (for the fault suite):
  down B        broker B (1..N) stops answering
  up B          broker B answers again
  leaders B     broker B becomes the leader of every partition
)";

// Applies one control line; says what it did.
void apply_control(rd_kafka_mock_cluster_t* cluster, int partitions, const std::string& line) {
  std::istringstream words(line);
  std::string verb;
  int broker = 0;
  if (!(words >> verb >> broker) || broker < 1) {
    faultline::log::warn("devbroker: unknown control line", {{"line", line}});
    return;
  }
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (verb == "down") {
    err = rd_kafka_mock_broker_set_down(cluster, broker);
  } else if (verb == "up") {
    err = rd_kafka_mock_broker_set_up(cluster, broker);
  } else if (verb == "leaders") {
    for (const char* topic : faultline::topics::kAll)
      for (int p = 0; p < partitions && !err; ++p)
        err = rd_kafka_mock_partition_set_leader(cluster, topic, p, broker);
  } else {
    faultline::log::warn("devbroker: unknown control line", {{"line", line}});
    return;
  }
  faultline::log::info("devbroker control", {{"line", line}, {"error", rd_kafka_err2str(err)}});
}

// Follows the control file as it grows, until `stop`.
void follow_control(rd_kafka_mock_cluster_t* cluster, int partitions, const std::string& path,
                    const std::atomic<bool>& stop) {
  std::streamoff read = 0;
  std::string pending;
  while (!stop) {
    std::ifstream in(path, std::ios::binary);
    if (in) {
      in.seekg(read);
      std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      read += static_cast<std::streamoff>(chunk.size());
      pending += chunk;
      for (auto end = pending.find('\n'); end != std::string::npos; end = pending.find('\n')) {
        apply_control(cluster, partitions, pending.substr(0, end));
        pending.erase(0, end + 1);
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

struct MockClusterDeleter {
  void operator()(rd_kafka_mock_cluster_t* cluster) const {
    rd_kafka_mock_cluster_destroy(cluster);
  }
};

int positive(const std::string& flag, const char* value) {
  char* end = nullptr;
  const long n = value ? std::strtol(value, &end, 10) : 0;
  if (!value || *end != '\0' || n < 1 || n > 64) {
    std::cerr << "faultline-devbroker: " << flag << " takes a number from 1 to 64\n";
    std::exit(2);
  }
  return static_cast<int>(n);
}

}  // namespace

int main(int argc, char** argv) {
  int brokers = 3;
  int partitions = 6;
  std::string bootstrap_file, control_file;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* next = i + 1 < argc ? argv[i + 1] : nullptr;
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (arg == "--brokers") {
      brokers = positive(arg, next), ++i;
    } else if (arg == "--partitions") {
      partitions = positive(arg, next), ++i;
    } else if (arg == "--bootstrap-file" && next) {
      bootstrap_file = next, ++i;
    } else if (arg == "--control-file" && next) {
      control_file = next, ++i;
    } else {
      std::cerr << "faultline-devbroker: unknown argument '" << arg << "'\n" << kUsage;
      return 2;
    }
  }

  faultline::log::configure("devbroker", faultline::log::Level::info);
  faultline::http::block_termination_signals();

  // The mock cluster lives inside a client handle; this one is never used to produce.
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "log_level", "3", error, sizeof error);
  faultline::kafka::HandlePtr owner(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
  if (!owner) {
    rd_kafka_conf_destroy(conf);
    std::cerr << "faultline-devbroker: " << error << "\n";
    return 1;
  }
  std::unique_ptr<rd_kafka_mock_cluster_t, MockClusterDeleter> cluster(
      rd_kafka_mock_cluster_new(owner.get(), brokers));
  if (!cluster) {
    std::cerr << "faultline-devbroker: cannot start the mock cluster\n";
    return 1;
  }

  const int replication = brokers < 3 ? brokers : 3;
  for (const char* topic : faultline::topics::kAll) {
    if (const auto err =
            rd_kafka_mock_topic_create(cluster.get(), topic, partitions, replication)) {
      std::cerr << "faultline-devbroker: cannot create " << topic << ": " << rd_kafka_err2str(err)
                << "\n";
      return 1;
    }
  }

  const std::string bootstrap = rd_kafka_mock_cluster_bootstraps(cluster.get());
  std::cout << bootstrap << std::endl;
  if (!bootstrap_file.empty()) {
    // Written whole, then renamed, so a reader never sees half a line.
    const std::string partial = bootstrap_file + ".partial";
    std::ofstream(partial) << bootstrap << "\n";
    std::rename(partial.c_str(), bootstrap_file.c_str());
  }
  faultline::log::info(
      "devbroker serving",
      {{"bootstrap", bootstrap}, {"brokers", brokers}, {"partitions", partitions}});

  std::atomic<bool> stop{false};
  std::thread control;
  if (!control_file.empty())
    control = std::thread([&] { follow_control(cluster.get(), partitions, control_file, stop); });
  faultline::http::wait_for_termination();
  stop = true;
  if (control.joinable())
    control.join();
  return 0;
}
