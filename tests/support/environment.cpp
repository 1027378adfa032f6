#include "tests/support/environment.hpp"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <stdexcept>
#include <thread>

#include "common/database.hpp"
#include "common/kafka.hpp"
#include "common/migrations.hpp"

namespace faultline::testing {
namespace {

std::string admin_url() {
  const char* url = std::getenv("FAULTLINE_TEST_DATABASE_URL");
  if (!url || !*url)
    throw std::runtime_error(
        "FAULTLINE_TEST_DATABASE_URL is not set: run the suites through scripts/test, which "
        "starts a throwaway PostgreSQL server");
  return url;
}

// Replaces the database name (the path) of a postgresql:// URL.
std::string with_database(const std::string& url, const std::string& name) {
  const auto scheme = url.find("://");
  const auto slash = url.find('/', scheme + 3);
  const auto query = url.find('?', scheme + 3);
  std::string base = url.substr(0, slash == std::string::npos ? query : slash);
  std::string rest = query == std::string::npos ? "" : url.substr(query);
  return base + "/" + name + rest;
}

}  // namespace

TestDatabase::TestDatabase() : admin_url_(admin_url()) {
  std::random_device random;
  name_ = "faultline_test_" + std::to_string(::getpid()) + "_" + std::to_string(random() % 1000000);
  {
    soci::session admin(soci::postgresql, with_utc_sessions(admin_url_));
    admin << "CREATE DATABASE " + name_;
  }
  url_ = with_database(admin_url_, name_);
  soci::session sql(soci::postgresql, with_utc_sessions(url_));
  migrate(sql, schemas::migrations());
}

TestDatabase::~TestDatabase() {
  try {
    soci::session admin(soci::postgresql, with_utc_sessions(admin_url_));
    admin << "DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)";
  } catch (const std::exception&) {
    // The whole cluster is thrown away by scripts/test anyway.
  }
}

std::string TestDatabase::scalar(const std::string& query) const {
  soci::session sql(soci::postgresql, with_utc_sessions(url_));
  std::string value;
  soci::indicator ind = soci::i_ok;
  sql << "SELECT (" + query + ")::text", soci::into(value, ind);
  return ind == soci::i_null ? "" : value;
}

void TestDatabase::execute(const std::string& query) const {
  soci::session sql(soci::postgresql, with_utc_sessions(url_));
  sql << query;
}

long long TestDatabase::wait_for_count(const std::string& sql, long long expected,
                                       std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  long long seen = -1;
  while (std::chrono::steady_clock::now() < deadline) {
    seen = count(sql);
    if (seen == expected)
      return seen;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return seen;
}

TestBroker::TestBroker(int brokers) : control_file_(scratch_path("devbroker-control")) {
  const std::string file = scratch_path("bootstrap");
  process_ = std::make_unique<ChildProcess>(
      std::vector<std::string>{binary("faultline-devbroker"), "--brokers", std::to_string(brokers),
                               "--bootstrap-file", file, "--control-file", control_file_},
      std::map<std::string, std::string>{}, scratch_path("devbroker.log"));
  process_->wait_for_log("devbroker serving", std::chrono::seconds(10));
  std::ifstream(file) >> bootstrap_;
  if (bootstrap_.empty())
    throw std::runtime_error("devbroker wrote no bootstrap list");
}

void TestBroker::control(const std::string& line) const {
  std::ofstream(control_file_, std::ios::app) << line << "\n" << std::flush;
}

std::vector<ConsumedMessage> read_topic(const std::string& bootstrap, const std::string& topic,
                                        std::size_t expected, std::chrono::milliseconds timeout) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
  rd_kafka_conf_set(conf, "group.id", "faultline-test-reader", error, sizeof error);
  kafka::HandlePtr handle(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
  if (!handle)
    throw std::runtime_error(error);

  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_topic_t* topic_handle = rd_kafka_topic_new(handle.get(), topic.c_str(), nullptr);
  if (rd_kafka_metadata(handle.get(), 0, topic_handle, &metadata, 5000))
    throw std::runtime_error("no metadata for " + topic);
  const int partitions = metadata->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(metadata);
  rd_kafka_topic_destroy(topic_handle);

  kafka::PartitionListPtr list(rd_kafka_topic_partition_list_new(partitions));
  for (int p = 0; p < partitions; ++p)
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
        RD_KAFKA_OFFSET_BEGINNING;
  rd_kafka_assign(handle.get(), list.get());

  std::vector<ConsumedMessage> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < expected && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* raw = rd_kafka_consumer_poll(handle.get(), 100);
    if (!raw)
      continue;
    kafka::Message message(raw);
    if (raw->err)
      continue;
    ConsumedMessage m{
        std::string(message.key()), std::string(message.value()), {}, message.partition()};
    for (auto& h : message.headers())
      m.headers.emplace_back(h.name, h.value);
    out.push_back(std::move(m));
  }
  rd_kafka_consumer_close(handle.get());
  return out;
}

}  // namespace faultline::testing
