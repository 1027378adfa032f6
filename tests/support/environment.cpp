#include "tests/support/environment.hpp"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/database.hpp"
#include "common/kafka.hpp"
#include "common/kafka_admin.hpp"
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

bool TestDatabase::wait_until_blocked_on(const std::string& table,
                                         std::chrono::milliseconds timeout) const {
  const auto waiting =
      "SELECT LEAST(count(*), 1) FROM pg_stat_activity"
      " WHERE wait_event_type = 'Lock' AND query LIKE '%" +
      table + "%' AND datname = current_database()";
  return wait_for_count(waiting, 1, timeout) == 1;
}

bool TestBroker::real_cluster() {
  const char* kind = std::getenv("FAULTLINE_TEST_KAFKA");
  if (!kind || !*kind || std::string(kind) == "embedded")
    return false;
  if (std::string(kind) != "cluster")
    throw std::runtime_error(std::string("FAULTLINE_TEST_KAFKA must be embedded or cluster, not ") +
                             kind);
  return true;
}

TestBroker::TestBroker(int brokers, const std::vector<std::string>& extra_topics) {
  if (real_cluster()) {
    const char* dir = std::getenv("FAULTLINE_TEST_KAFKA_CLUSTER");
    if (!dir || !*dir)
      throw std::runtime_error(
          "FAULTLINE_TEST_KAFKA=cluster needs FAULTLINE_TEST_KAFKA_CLUSTER, the directory of a "
          "cluster started by infra/kafka/cluster (scripts/test starts one)");
    cluster_dir_ = dir;
    cluster("heal");
    bootstrap_ = cluster("bootstrap");
    reset_topics(extra_topics);
    return;
  }
  control_file_ = scratch_path("devbroker-control");
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

bool TestBroker::running() {
  return real() || process_->running();
}

std::string TestBroker::log() const {
  if (!real())
    return process_->log();
  std::ifstream in(cluster_dir_ + "/node1/server.log");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void TestBroker::control(const std::string& line) const {
  if (real())
    throw std::logic_error("control lines are for the embedded broker; use the node faults");
  std::ofstream(control_file_, std::ios::app) << line << "\n" << std::flush;
}

void TestBroker::kill_node(int node) const {
  cluster("kill " + std::to_string(node));
}
void TestBroker::terminate_node(int node) const {
  cluster("terminate " + std::to_string(node));
}
void TestBroker::restart_node(int node) const {
  cluster("restart " + std::to_string(node));
}
int TestBroker::busiest_node() const {
  return std::stoi(cluster("busiest"));
}
int TestBroker::leader_of(const std::string& topic, int partition) const {
  return std::stoi(cluster("leader " + topic + " " + std::to_string(partition)));
}

// Runs infra/kafka/cluster VERB on this cluster; its stdout without the last newline.
std::string TestBroker::cluster(const std::string& verb) const {
  if (!real())
    throw std::logic_error("node faults are for the real cluster");
  const std::string command = std::string(FAULTLINE_SOURCE_DIR) + "/infra/kafka/cluster " + verb +
                              " --dir '" + cluster_dir_ + "' 2>>'" + cluster_dir_ +
                              "/cluster-commands.log'";
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe)
    throw std::runtime_error("cannot run " + command);
  std::string out;
  char buffer[4096];
  for (std::size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0;)
    out.append(buffer, n);
  const int status = ::pclose(pipe.release());
  if (status != 0)
    throw std::runtime_error("infra/kafka/cluster " + verb + " failed (see " + cluster_dir_ +
                             "/cluster-commands.log)");
  while (!out.empty() && out.back() == '\n')
    out.pop_back();
  return out;
}

// Deletes the topics, waits until the metadata no longer names them, and
// creates them as faultline-processors topics would (6 partitions, factor 3).
void TestBroker::reset_topics(const std::vector<std::string>& extra_topics) const {
  kafka::Settings settings;
  settings.brokers = bootstrap_;
  kafka::Admin admin(settings, std::chrono::seconds(30));
  auto specs = kafka::faultline_topic_specs(6, 3);
  for (const auto& name : extra_topics)
    specs.push_back({name, 6, 3, {{"min.insync.replicas", "2"}}});
  std::vector<std::string> names;
  for (const auto& spec : specs)
    names.push_back(spec.name);

  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  auto wait_until = [&](auto done, const char* what) {
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline)
        throw std::runtime_error(std::string("the real cluster: ") + what);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
  };
  admin.delete_topics(names);  // unknown topics are fine: they are what we want
  wait_until(
      [&] {
        for (const auto& state : admin.describe_topics(names))
          if (state.exists)
            return false;
        return true;
      },
      "deleted topics still in the metadata after 60 s");
  // A topic whose deletion is still being completed cannot be created yet.
  std::vector<kafka::TopicSpec> pending = specs;
  wait_until(
      [&] {
        std::vector<kafka::TopicSpec> again;
        const auto outcomes = admin.create_topics(pending);
        for (std::size_t i = 0; i < outcomes.size(); ++i)
          // Already there: made by an earlier attempt whose answer timed out.
          if (!outcomes[i].ok() && outcomes[i].code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
            again.push_back(pending[i]);
        pending = again;
        return pending.empty();
      },
      "topics not created within 60 s");
  // Every node, not only the one that answered: a client that asks a node
  // still catching up is told the topic is unknown, or a partition is
  // (a producer's delivery fails with "Unknown partition").
  std::vector<std::unique_ptr<kafka::Admin>> nodes;
  std::stringstream list(bootstrap_);
  for (std::string node; std::getline(list, node, ',');) {
    kafka::Settings one;
    one.brokers = node;
    nodes.push_back(std::make_unique<kafka::Admin>(one, std::chrono::seconds(30)));
  }
  wait_until(
      [&] {
        for (const auto& node : nodes)
          for (const auto& state : node->describe_topics(names))
            if (!state.exists || state.leaderless > 0 || state.partitions != 6)
              return false;
        return true;
      },
      "new topics without leaders on every node after 60 s");
}

std::string header_of(const ConsumedMessage& message, const std::string& name) {
  for (const auto& [key, value] : message.headers)
    if (key == name)
      return value;
  return "";
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

  kafka::assign_whole_topic(handle.get(), topic, std::chrono::seconds(5));

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
