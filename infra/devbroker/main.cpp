// faultline-devbroker: librdkafka's in-process mock cluster, served until
// SIGTERM, with Faultline's topics created. Everything lives in memory.

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>

#include "common/http.hpp"
#include "common/kafka.hpp"
#include "common/log.hpp"
#include "common/topics.hpp"

namespace {

constexpr const char* kUsage =
    R"(usage: faultline-devbroker [--brokers N] [--partitions P] [--bootstrap-file F]

Starts an embedded Kafka cluster (librdkafka's mock cluster) on loopback with
N brokers (default 3) and creates Faultline's topics with P partitions each
(default 6). Prints the bootstrap list as the first line of stdout (and writes
it to F), then serves until SIGTERM or SIGINT. Nothing is persisted.
)";

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
  std::string bootstrap_file;
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
  for (const char* topic : {faultline::topics::kWorkflowRun, faultline::topics::kWorkflowJob,
                            faultline::topics::kIncident, faultline::topics::kDeadLetter}) {
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

  faultline::http::wait_for_termination();
  return 0;
}
