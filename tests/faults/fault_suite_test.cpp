// The fault suite: under a steady stream of signed deliveries, one fault at a
// time, then the claim is checked: every delivery that got a 202 is in the
// state exactly once, every incident has exactly one GitHub issue, nothing
// answered a 5xx other than the documented 503, and the processes that were
// not the target kept running. Each fault writes one JSON line of figures to
// stdout and, with FAULTLINE_FAULTS_REPORT, to that file.
//
// Short by default (scripts/test); FAULTLINE_FAULTS_FULL=1 (scripts/faults)
// runs longer, faster and with ten kills; FAULTLINE_FAULTS_SECONDS and
// FAULTLINE_FAULTS_RATE override the load's length and rate.
//
// The broker faults depend on the broker (TestBroker): the embedded one takes
// control lines, the real cluster (FAULTLINE_TEST_KAFKA=cluster) has nodes to
// kill, stop and restart. Each fault skips on the broker it does not apply to.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <type_traits>
#include <vector>

#include "common/json.hpp"
#include "common/kafka.hpp"
#include "common/topics.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/examples.hpp"
#include "tests/support/fake_github.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr const char* kSecret = "fault-suite-secret";
constexpr int kKeys = 6;    // repository x workflow pairs
constexpr int kStreak = 8;  // failures, then successes, per key

int positive_from_environment(const char* name, int fallback) {
  const char* raw = std::getenv(name);
  return raw && std::atoi(raw) > 0 ? std::atoi(raw) : fallback;
}

struct Settings {
  bool full = std::getenv("FAULTLINE_FAULTS_FULL") != nullptr;
  int rate = positive_from_environment("FAULTLINE_FAULTS_RATE", full ? 60 : 30);  // per second
  std::chrono::seconds load{positive_from_environment("FAULTLINE_FAULTS_SECONDS", full ? 40 : 12)};
  int kills = full ? 10 : 3;
};

// Polls `done` every 200 ms until it holds or `timeout` passes; whether it held.
template <typename Done>
bool eventually(Done done, Clock::duration timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() > deadline)
      return false;
    std::this_thread::sleep_for(200ms);
  }
  return true;
}

// The real cluster's node processes, by the pid files infra/kafka/cluster
// keeps in DIR/node<N>/pid: proof that a node fault happened.
pid_t node_pid(int node) {
  const char* dir = std::getenv("FAULTLINE_TEST_KAFKA_CLUSTER");
  pid_t pid = -1;
  std::ifstream(std::string(dir ? dir : "") + "/node" + std::to_string(node) + "/pid") >> pid;
  return pid;
}
bool alive(pid_t pid) {
  return pid > 0 && ::kill(pid, 0) == 0;
}
constexpr int kNodes = 3;

// Partitions of the cluster (internal topics included) with fewer in-sync
// replicas than replicas, or -1 when the metadata cannot be read: a rolling
// restart moves on only once the node it restarted has caught up.
int under_replicated_partitions(const std::string& bootstrap) {
  kafka::Settings settings;
  settings.brokers = bootstrap;
  const auto handle = kafka::make_client(RD_KAFKA_PRODUCER, settings);
  const rd_kafka_metadata_t* metadata = nullptr;
  if (rd_kafka_metadata(handle.get(), 1, nullptr, &metadata, 5000) != RD_KAFKA_RESP_ERR_NO_ERROR)
    return -1;
  int under = 0;
  for (int t = 0; t < metadata->topic_cnt; ++t)
    for (int p = 0; p < metadata->topics[t].partition_cnt; ++p) {
      const auto& partition = metadata->topics[t].partitions[p];
      under += partition.isr_cnt < partition.replica_cnt || partition.leader < 0 ? 1 : 0;
    }
  rd_kafka_metadata_destroy(metadata);
  return under;
}

// What each "partitions assigned" line of a processors log gave a consumer of
// `group` (a role may run one consumer per topic), in the order they were
// logged: how many partitions, and for how many PostgreSQL held an offset.
struct Assignment {
  int partitions = 0;
  int with_stored_offsets = 0;
};
std::vector<Assignment> assignments(const std::string& log, const std::string& group) {
  const std::string marker = "\"msg\":\"partitions assigned\"";
  std::vector<Assignment> out;
  std::istringstream lines(log);
  for (std::string line; std::getline(lines, line);)
    if (line.find(marker) != std::string::npos &&
        line.find("\"group\":\"" + group + "\"") != std::string::npos)
      out.push_back(
          {log_field_int(line, "partitions"), log_field_int(line, "with_stored_offsets")});
  return out;
}

// A port nothing listens on now: ingest restarts on the port it had.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("no free port");
  ::close(fd);
  return ntohs(address.sin_port);
}

// The workflow_run deliveries of the stream: runs of six keys, each failing
// kStreak times, then succeeding kStreak times, so incidents open, recur and
// resolve all along.
class Deliveries {
 public:
  Deliveries() : template_(completed_workflow_run_example()) {}

  std::string body(int i) const {
    auto doc = json::parse(template_);
    auto& allocator = doc.GetAllocator();
    const int key = i % kKeys;
    const bool failing = (i / kKeys / kStreak) % 2 == 0;
    const long long repository = 5000 + key / 2;
    auto& run = doc["workflow_run"];
    run["id"].SetInt64(900000 + i);
    run["run_attempt"].SetInt(1);
    run["workflow_id"].SetInt64(70 + key % 2);
    run["status"].SetString("completed");
    run["conclusion"].SetString(failing ? "failure" : "success");
    run["head_branch"].SetString("main");
    const auto minute = std::to_string(10 + i / 3600 % 50), second = two(i / 60 % 60);
    const std::string at = "2026-11-23T" + minute + ":" + second + ":" + two(i % 60) + "Z";
    run["created_at"].SetString(at.c_str(), allocator);
    run["updated_at"].SetString(at.c_str(), allocator);
    doc["repository"]["id"].SetInt64(repository);
    const std::string name = "faults/repo-" + std::to_string(repository);
    doc["repository"]["full_name"].SetString(name.c_str(), allocator);
    return json::serialize(doc);
  }

 private:
  static std::string two(int n) {
    auto text = std::to_string(n);
    if (n < 10)
      text.insert(text.begin(), '0');
    return text;
  }
  std::string template_;
};

// One delivery of the stream: when it was sent, what ingest answered (0: no
// answer, refused or not within the client's 30 s) and how long that took.
struct Answer {
  Clock::time_point sent;
  long status = 0;
  Clock::duration took{};
};

// Sends deliveries at a steady rate until stopped; remembers every answer.
class Stream {
 public:
  Stream(const Deliveries& deliveries, int port, int rate) : port_(port) {
    thread_ = std::thread([this, &deliveries, rate] {
      HttpClient client;
      const auto gap = std::chrono::microseconds(1000000 / rate);
      auto next = Clock::now();
      for (int i = 0; !stop_; ++i) {
        std::this_thread::sleep_until(next);
        next += gap;
        const auto body = deliveries.body(i);
        const std::string id = "fault-" + std::to_string(i);
        const auto sent = Clock::now();
        long status = 0;
        try {
          status =
              client
                  .request("POST", "http://127.0.0.1:" + std::to_string(port_) + "/webhooks/github",
                           webhook_headers("workflow_run", id, body, kSecret), body)
                  .status;
        } catch (const std::exception&) {
          status = 0;  // refused: ingest was down
        }
        std::lock_guard lock(mutex_);
        answers_.push_back({sent, status, Clock::now() - sent});
      }
    });
  }
  ~Stream() { stop(); }

  void stop() {
    stop_ = true;
    if (thread_.joinable())
      thread_.join();
  }
  std::map<std::string, long> answers() {
    std::lock_guard lock(mutex_);
    std::map<std::string, long> out;
    for (std::size_t i = 0; i < answers_.size(); ++i)
      out["fault-" + std::to_string(i)] = answers_[i].status;
    return out;
  }
  // Every answer so far, in the order the deliveries were sent.
  std::vector<Answer> timeline() {
    std::lock_guard lock(mutex_);
    return answers_;
  }
  // Whether the last `n` deliveries were all sent at or after `since` and all
  // answered 202: the stream flows again.
  bool flowing_since(Clock::time_point since, std::size_t n) {
    std::lock_guard lock(mutex_);
    if (answers_.size() < n)
      return false;
    for (auto a = answers_.end() - static_cast<std::ptrdiff_t>(n); a != answers_.end(); ++a)
      if (a->sent < since || a->status != 202)
        return false;
    return true;
  }

 private:
  int port_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::vector<Answer> answers_;  // the i-th is delivery "fault-<i>"
};

class FaultSuite : public ::testing::Test {
 protected:
  void SetUp() override {
    port_ = free_port();
    ingest_ = start_ingest();
    processors_ = start_processors();
    // Faults hit a running system: every group has its partitions before the
    // stream starts (a broker down while the groups first join only tests the join).
    for (const char* group : {"faultline-runs", "faultline-incidents", "faultline-issues"})
      processors_->wait_for_log(std::string("\"msg\":\"partitions assigned\",\"component\":"
                                            "\"processors\",\"group\":\"") +
                                    group + "\"",
                                60s);
    // Then the rebalances that follow (on the real cluster a second later: 12
    // partitions to one consumer, then 6 and 6) end.
    ASSERT_TRUE(wait_for_settled_groups(*processors_, 2s, 90s))
        << "the consumer groups kept rebalancing";
  }

  // `publish_timeout` empty: ingest's default (5 s).
  std::unique_ptr<ChildProcess> start_ingest(const std::string& publish_timeout = "") {
    std::map<std::string, std::string> environment{
        {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
        {"FAULTLINE_WEBHOOK_SECRETS", kSecret},
        {"FAULTLINE_INGEST_ADDR", "127.0.0.1:" + std::to_string(port_)}};
    if (!publish_timeout.empty())
      environment["FAULTLINE_INGEST_PUBLISH_TIMEOUT"] = publish_timeout;
    auto process =
        std::make_unique<ChildProcess>(std::vector<std::string>{binary("faultline-ingest")},
                                       environment, scratch_path("ingest.log"));
    process->wait_for_log("\"msg\":\"listening\"", 10s);
    return process;
  }

  std::unique_ptr<ChildProcess> start_processors(const std::string& log = "processors.log") {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-processors"), "--roles",
                                 "runs,incidents,issues"},
        std::map<std::string, std::string>{{"FAULTLINE_DATABASE_URL", database_.url()},
                                           {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
                                           {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"},
                                           {"FAULTLINE_GITHUB_API_URL", github_.url()},
                                           {"FAULTLINE_GITHUB_TOKEN", "fault-suite-token"},
                                           {"FAULTLINE_GITHUB_MUTATION_SPACING", "5ms"},
                                           {"FAULTLINE_GITHUB_SECONDARY_WAIT", "1s"},
                                           {"FAULTLINE_RECONCILE_INTERVAL", "1h"}},
        scratch_path(log));
  }

  // Runs the stream for the configured time with `fault` injected on its own
  // thread (given the stream if it takes one: it may wait on its answers); the
  // stream goes on until the fault is over. Then checks and reports.
  template <typename Fault>
  void under_load(const std::string& name, Fault&& fault) {
    const auto started = Clock::now();
    Stream stream(deliveries_, port_, settings_.rate);
    // A fault that throws (a cluster command failed) is rethrown once the
    // system has been checked: whatever happened, nothing may be lost.
    std::exception_ptr failure;
    std::thread injector([&] {
      try {
        if constexpr (std::is_invocable_v<Fault&, Stream&>)
          fault(stream);
        else
          fault();
      } catch (...) {
        failure = std::current_exception();
      }
    });
    std::this_thread::sleep_until(started + settings_.load);
    injector.join();
    stream.stop();
    timeline_ = stream.timeline();
    write_timeline(started);
    check(name, stream.answers(), Clock::now() - started);
    if (failure)
      std::rethrow_exception(failure);
  }

  // The stream's answers, one line each (delivery, sent and answered in ms
  // from the start, status), beside the services' logs for a look after a failure.
  void write_timeline(Clock::time_point started) const {
    std::ofstream out(scratch_path("stream.tsv"));
    const auto ms = [](Clock::duration d) {
      return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
    };
    for (std::size_t i = 0; i < timeline_.size(); ++i)
      out << "fault-" << i << '\t' << ms(timeline_[i].sent - started) << '\t'
          << ms(timeline_[i].sent + timeline_[i].took - started) << '\t' << timeline_[i].status
          << '\n';
  }

  void check(const std::string& name, const std::map<std::string, long>& answers,
             Clock::duration elapsed) {
    std::set<std::string> accepted;
    long refused = 0, unavailable = 0, other_5xx = 0, other = 0;
    for (const auto& [id, status] : answers) {
      if (status == 202)
        accepted.insert(id);
      else if (status == 0)
        ++refused;
      else if (status == 503)
        ++unavailable;
      else if (status >= 500)
        ++other_5xx;
      else
        ++other;
    }

    // Settle: every accepted delivery applied, every incident with its issue.
    const auto deadline = Clock::now() + 180s;
    std::map<std::string, long long> applied;
    std::size_t found = 0;
    while (Clock::now() < deadline) {
      applied = applied_per_delivery();
      found = 0;
      for (const auto& id : accepted)
        found += applied.count(id);
      if (found == accepted.size() && incidents_role_behind() == 0 &&
          database_.count("SELECT count(*) FROM incidents i WHERE NOT EXISTS"
                          " (SELECT 1 FROM incident_issues x WHERE x.incident_id = i.id)") == 0 &&
          database_.count("SELECT count(*) FROM outbox WHERE published_at IS NULL") == 0)
        break;
      std::this_thread::sleep_for(1s);
    }
    long long duplicates = 0;
    for (const auto& [id, times] : applied)
      duplicates += times > 1 ? 1 : 0;

    // Exactly one issue per incident, found by the marker in its body.
    std::map<long long, int> issues_per_incident;
    const auto all = json::parse(github_.issues());
    for (auto repo = all.MemberBegin(); repo != all.MemberEnd(); ++repo)
      for (const auto& issue : repo->value.GetArray()) {
        const std::string body(json::string_member(issue, "body").value_or(""));
        const auto at = body.find("faultline-incident:");
        if (at != std::string::npos)
          ++issues_per_incident[std::stoll(body.substr(at + 19))];
      }
    // Ids, not 1..count: a transaction cut by a kill leaves gaps in the sequence.
    const auto ids =
        json::parse(database_.scalar("SELECT COALESCE(json_agg(id), '[]') FROM incidents"));
    const auto incidents = static_cast<std::int64_t>(ids.Size());
    long long incidents_without_one_issue = 0;
    for (const auto& id : ids.GetArray())
      incidents_without_one_issue += issues_per_incident[id.GetInt64()] == 1 ? 0 : 1;
    // An issue for an incident that does not exist would be a duplicate too.
    for (const auto& [id, count] : issues_per_incident)
      incidents_without_one_issue +=
          count > 0 &&
          database_.count("SELECT count(*) FROM incidents WHERE id = " + std::to_string(id)) == 0;

    const bool survivors = broker_.running() && ingest_->running() && processors_->running();
    refused_ = refused;
    const auto report = json::object([&](json::Writer& out) {
      out.Key("fault");
      json::write(out, name);
      out.Key("broker");
      json::write(out, broker_.real() ? "cluster" : "embedded");
      out.Key("seconds");
      out.Double(std::chrono::duration<double>(elapsed).count());
      out.Key("sent");
      out.Int64(static_cast<std::int64_t>(answers.size()));
      out.Key("accepted");
      out.Int64(static_cast<std::int64_t>(accepted.size()));
      out.Key("found");
      out.Int64(static_cast<std::int64_t>(found));
      out.Key("lost");
      out.Int64(static_cast<std::int64_t>(accepted.size() - found));
      out.Key("duplicates");
      out.Int64(duplicates);
      out.Key("answered_503");
      out.Int64(unavailable);
      out.Key("refused_while_down");
      out.Int64(refused);
      out.Key("other_5xx");
      out.Int64(other_5xx);
      out.Key("other_answers");
      out.Int64(other);
      out.Key("incidents");
      out.Int64(incidents);
      out.Key("incidents_without_exactly_one_issue");
      out.Int64(incidents_without_one_issue);
      out.Key("survivors_running");
      out.Bool(survivors);
    });
    std::cout << report << std::endl;
    if (const char* file = std::getenv("FAULTLINE_FAULTS_REPORT"))
      std::ofstream(file, std::ios::app) << report << "\n";

    EXPECT_GT(accepted.size(), answers.size() / 3) << "the stream barely got through: " << report;
    EXPECT_EQ(found, accepted.size()) << report << "\n" << processors_->log().substr(0, 4000);
    EXPECT_EQ(duplicates, 0) << report;
    EXPECT_EQ(other_5xx, 0) << report;
    EXPECT_EQ(other, 0) << report;
    EXPECT_GT(incidents, 0) << report;
    EXPECT_EQ(incidents_without_one_issue, 0) << report << "\n" << why_issues_are_missing();
    EXPECT_TRUE(survivors) << report;
  }

  // What a failed issue count needs explained: GitHub's side, the incident
  // events the outbox still holds, and what the processors said last.
  std::string why_issues_are_missing() const {
    return "fake GitHub's issues: " + github_.issues().substr(0, 2000) +
           "\nincident events not yet published: " +
           database_.scalar("SELECT count(*) FROM outbox WHERE published_at IS NULL") +
           "\nthe processors' log, last lines:\n" + processors_->log_tail(6000);
  }

  // How many workflow_run messages the runs role has applied that the
  // incidents role has not: an incident can only be checked once it is 0.
  long long incidents_role_behind() const {
    return database_.count(
        "SELECT COALESCE(sum(next_offset) FILTER (WHERE group_id = 'faultline-runs'), 0)"
        " - COALESCE(sum(next_offset) FILTER (WHERE group_id = 'faultline-incidents'), 0)"
        " FROM consumer_offsets WHERE topic = '" +
        std::string(topics::kWorkflowRun) + "'");
  }

  std::map<std::string, long long> applied_per_delivery() const {
    std::map<std::string, long long> out;
    const auto rows = json::parse(database_.scalar(
        "SELECT COALESCE(json_object_agg(delivery_id, n), '{}') FROM (SELECT delivery_id,"
        " count(*) AS n FROM applied_events WHERE group_id = 'faultline-runs'"
        " GROUP BY delivery_id) t"));
    for (auto m = rows.MemberBegin(); m != rows.MemberEnd(); ++m)
      out[m->name.GetString()] = m->value.GetInt64();
    return out;
  }

  Settings settings_;
  Deliveries deliveries_;
  TestDatabase database_;
  TestBroker broker_;
  FakeGitHub github_;
  int port_ = 0;
  long refused_ = 0;
  std::vector<Answer> timeline_;  // the last under_load's stream
  std::unique_ptr<ChildProcess> ingest_, processors_;
  std::mt19937 random_{std::random_device{}()};
};

// The faults of one broker only skip on the other before a system starts.
class EmbeddedBrokerFaults : public FaultSuite {
 protected:
  void SetUp() override {
    if (TestBroker::real_cluster())
      GTEST_SKIP() << "control lines are the embedded broker's; on the real cluster "
                      "ClusterFaults fault its nodes";
    FaultSuite::SetUp();
  }
};

class ClusterFaults : public FaultSuite {
 protected:
  void SetUp() override {
    if (!TestBroker::real_cluster())
      GTEST_SKIP() << "kills, stops and restarts real Kafka nodes and waits on their "
                      "rebalances: FAULTLINE_TEST_KAFKA=cluster";
    FaultSuite::SetUp();
  }
};

TEST_F(FaultSuite, ProcessorsKilledAtRandomMoments) {
  under_load("processors kill -9 x" + std::to_string(settings_.kills), [&] {
    const auto window = settings_.load * 3 / 4;
    for (int kill = 0; kill < settings_.kills; ++kill) {
      std::this_thread::sleep_for(window / settings_.kills / 2 +
                                  std::chrono::milliseconds(random_() % 700));
      // Proof that each kill happened: it was running, and SIGKILL ended it.
      EXPECT_TRUE(processors_->running()) << "kill " << kill << ": processors had already exited";
      processors_->signal(SIGKILL);
      EXPECT_EQ(processors_->wait(10s), 128 + SIGKILL) << "kill " << kill;
      processors_ = start_processors();
    }
  });
}

TEST_F(EmbeddedBrokerFaults, ABrokerGoesDownAndLeadersMove) {
  under_load("broker down, leaders moved, broker back", [&] {
    std::this_thread::sleep_for(settings_.load / 6);
    broker_.control("down 1");
    std::this_thread::sleep_for(settings_.load / 6);
    broker_.control("leaders 2");
    std::this_thread::sleep_for(settings_.load / 6);
    broker_.control("up 1");
    broker_.control("leaders 1");
  });
  // The faults happened: the devbroker applied every control line.
  const auto log = broker_.log();
  for (const char* line : {"down 1", "leaders 2", "up 1", "leaders 1"})
    EXPECT_NE(log.find(std::string("\"line\":\"") + line + "\",\"error\":\"Success\""),
              std::string::npos)
        << line << "\n"
        << log;
}

// The real cluster's faults. Each waits, after the fault, until the stream
// flows again: the last kFlowing deliveries were all sent after the cluster
// was whole again and all answered 202.
constexpr std::size_t kFlowing = 20;

TEST_F(ClusterFaults, LeaderBrokerKilledAndRestarted) {
  int victim = 0;
  pid_t before = -1;
  bool gone = false, moved = false, flowing = false;
  std::vector<int> led;  // workflow_run partitions the victim led
  under_load("leader broker kill -9, restarted", [&](Stream& stream) {
    const auto started = Clock::now();
    std::this_thread::sleep_for(settings_.load / 4);
    victim = broker_.busiest_node();
    for (int p = 0; p < 6; ++p)
      if (broker_.leader_of(topics::kWorkflowRun, p) == victim)
        led.push_back(p);
    before = node_pid(victim);
    broker_.kill_node(victim);
    gone = !alive(before);
    // Leadership of its partitions moves to the in-sync followers.
    moved = !led.empty() && eventually(
                                [&] {
                                  for (const int p : led) {
                                    const int leader = broker_.leader_of(topics::kWorkflowRun, p);
                                    if (leader <= 0 || leader == victim)
                                      return false;
                                  }
                                  return true;
                                },
                                60s);
    std::this_thread::sleep_until(started + settings_.load * 2 / 3);
    broker_.restart_node(victim);
    const auto back = Clock::now();
    flowing = eventually([&] { return stream.flowing_since(back, kFlowing); }, 120s);
  });
  EXPECT_TRUE(gone) << "node " << victim << " (pid " << before << ") was killed";
  EXPECT_FALSE(led.empty()) << "node " << victim << " led workflow_run partitions";
  EXPECT_TRUE(moved) << "the leaders of " << topics::kWorkflowRun << " moved off node " << victim;
  EXPECT_TRUE(alive(node_pid(victim))) << "node " << victim << " is back";
  EXPECT_TRUE(flowing) << "202s again after node " << victim << " came back";
  EXPECT_EQ(refused_, 0) << "ingest answered every delivery";
  long accepted = 0;
  for (const auto& answer : timeline_)
    accepted += answer.status == 202;
  EXPECT_GT(accepted * 2, static_cast<long>(timeline_.size()))
      << "ingest kept accepting: most deliveries got 202 across the leader move";
}

TEST_F(ClusterFaults, TwoOfThreeBrokersDown) {
  // A shorter deadline: more deliveries meet the outage.
  const auto deadline = 2s;
  ingest_->signal(SIGTERM);
  ASSERT_EQ(ingest_->wait(20s), 0);
  ingest_ = start_ingest("2s");
  int first = 0, second = 0;
  bool gone = false, refused_503 = false, flowing = false;
  Clock::time_point down, returning, back;
  under_load("2 of 3 brokers kill -9, back", [&](Stream& stream) {
    std::this_thread::sleep_for(settings_.load / 6);
    first = broker_.busiest_node();
    second = first % kNodes + 1;
    const pid_t pids[] = {node_pid(first), node_pid(second)};
    broker_.kill_node(first);
    broker_.kill_node(second);
    down = Clock::now();
    gone = !alive(pids[0]) && !alive(pids[1]);
    // acks=all cannot be met with min.insync.replicas=2 and one node: 503s.
    refused_503 = eventually(
        [&] {
          for (const auto& answer : stream.timeline())
            if (answer.sent >= down && answer.status == 503)
              return true;
          return false;
        },
        60s);
    std::this_thread::sleep_for(settings_.load / 4);
    returning = Clock::now();
    broker_.restart_node(first);
    broker_.restart_node(second);
    back = Clock::now();
    flowing = eventually([&] { return stream.flowing_since(back, kFlowing); }, 120s);
  });
  EXPECT_TRUE(gone) << "nodes " << first << " and " << second << " were killed";
  EXPECT_TRUE(refused_503) << "ingest answered 503 while two of three nodes were down";
  EXPECT_TRUE(flowing) << "202s again once the nodes were back";
  EXPECT_TRUE(alive(node_pid(first)) && alive(node_pid(second))) << "both nodes are back";
  EXPECT_EQ(refused_, 0) << "ingest answered every delivery, none hung";
  // While one node ran, nothing could be replicated: not one 202 for a
  // delivery sent and answered in that time, and every 503 within the deadline
  // (ingest keeps it itself; the slack is for a busy machine).
  long accepted_while_down = 0, unavailable_while_down = 0;
  Clock::duration slowest_503{};
  for (const auto& answer : timeline_) {
    const bool while_down = answer.sent >= down && answer.sent + answer.took < returning;
    accepted_while_down += while_down && answer.status == 202;
    unavailable_while_down += while_down && answer.status == 503;
    if (answer.status == 503)
      slowest_503 = std::max(slowest_503, answer.took);
  }
  EXPECT_EQ(accepted_while_down, 0) << "a 202 without two replicas";
  EXPECT_GT(unavailable_while_down, 0);
  EXPECT_LT(slowest_503, deadline + 5s)
      << "503 within ingest's deadline, " << std::chrono::duration<double>(slowest_503).count()
      << " s at worst";
}

TEST_F(ClusterFaults, RollingRestartOfTheCluster) {
  pid_t before[kNodes + 1] = {}, after[kNodes + 1] = {};
  bool stopped[kNodes + 1] = {}, caught_up[kNodes + 1] = {};
  bool flowing = false;
  under_load("rolling restart (SIGTERM each broker)", [&](Stream& stream) {
    std::this_thread::sleep_for(settings_.load / 6);
    for (int node = 1; node <= kNodes; ++node) {
      before[node] = node_pid(node);
      broker_.terminate_node(node);  // controlled shutdown: leaders handed over first
      stopped[node] = !alive(before[node]);
      broker_.restart_node(node);
      after[node] = node_pid(node);
      // As an operator would: the next node only once every replica is in sync.
      caught_up[node] =
          eventually([&] { return under_replicated_partitions(broker_.bootstrap()) == 0; }, 120s);
    }
    const auto back = Clock::now();
    flowing = eventually([&] { return stream.flowing_since(back, kFlowing); }, 120s);
  });
  for (int node = 1; node <= kNodes; ++node) {
    EXPECT_TRUE(stopped[node]) << "node " << node << " (pid " << before[node] << ") stopped";
    EXPECT_TRUE(alive(after[node]) && after[node] != before[node])
        << "node " << node << " runs again as a new process";
    EXPECT_TRUE(caught_up[node]) << "every replica in sync after node " << node << " came back";
  }
  EXPECT_TRUE(flowing) << "202s after the last node came back";
  EXPECT_EQ(refused_, 0) << "ingest answered every delivery";
  long accepted = 0;
  for (const auto& answer : timeline_)
    accepted += answer.status == 202;
  EXPECT_GT(accepted * 2, static_cast<long>(timeline_.size()))
      << "a rolling restart hands leadership over: most deliveries got 202";
}

TEST_F(ClusterFaults, SecondProcessorsJoinsAndIsKilled) {
  const char* group = "faultline-runs";
  int second_got = 0;
  std::optional<Assignment> taken_back;
  int exit_code = -1;
  under_load("2nd processors joins, then kill -9", [&] {
    std::this_thread::sleep_for(settings_.load / 6);
    auto second = start_processors("processors-2.log");
    // The group rebalances: the newcomer takes a share of the partitions.
    eventually(
        [&] {
          second_got = 0;
          for (const auto& assignment : assignments(second->log(), group))
            second_got += assignment.partitions;
          return second_got > 0;
        },
        90s);
    std::this_thread::sleep_for(settings_.load / 4);  // it applies its share
    const auto seen = assignments(processors_->log(), group).size();
    second->signal(SIGKILL);
    exit_code = second->wait(10s);
    // Its session expires; the first takes its partitions back, each from the
    // offset PostgreSQL holds for it.
    eventually(
        [&] {
          const auto now = assignments(processors_->log(), group);
          for (auto a = now.begin() + static_cast<std::ptrdiff_t>(std::min(seen, now.size()));
               a != now.end(); ++a)
            if (a->partitions > 0)
              taken_back = *a;
          return taken_back.has_value();
        },
        90s);
  });
  EXPECT_GT(second_got, 0) << "the second processors got a share of " << group << "'s partitions";
  EXPECT_EQ(exit_code, 128 + SIGKILL) << "the second processors was killed";
  ASSERT_TRUE(taken_back.has_value()) << "the first processors took partitions back";
  EXPECT_GT(taken_back->with_stored_offsets, 0) << "and went on from the offsets in PostgreSQL";
}

TEST_F(FaultSuite, PostgresRestartsWhileProcessorsWrite) {
  const char* restart = std::getenv("FAULTLINE_TEST_PG_RESTART");
  ASSERT_NE(restart, nullptr) << "FAULTLINE_TEST_PG_RESTART names the command that restarts the "
                                 "test server (scripts/test and scripts/faults set it)";
  const auto started = database_.scalar("SELECT pg_postmaster_start_time()");
  under_load("postgres restart (fast)", [&] {
    std::this_thread::sleep_for(settings_.load / 3);
    EXPECT_EQ(std::system(restart), 0);
  });
  EXPECT_NE(database_.scalar("SELECT pg_postmaster_start_time()"), started) << "it restarted";
}

TEST_F(FaultSuite, IngestStoppedUnderLoadAndRestarted) {
  int exit_code = -1;
  under_load("ingest SIGTERM, restart", [&] {
    std::this_thread::sleep_for(settings_.load / 3);
    ingest_->signal(SIGTERM);
    exit_code = ingest_->wait(20s);
    std::this_thread::sleep_for(1s);
    ingest_ = start_ingest();
  });
  EXPECT_EQ(exit_code, 0) << "ingest drains and exits cleanly on SIGTERM";
  EXPECT_GT(refused_, 0) << "the stream met the stopped ingest";
}

TEST_F(FaultSuite, GitHubFailsAndRateLimitsForAWhile) {
  under_load("GitHub 502, 403 rate limit, 429", [&] {
    const auto reset = std::to_string(std::time(nullptr) + 2);
    for (int wave = 0; wave < 3; ++wave) {
      github_.fail_next(
          "POST", "/repos/",
          R"([{"status":502},{"status":502},)"
          R"({"status":403,"headers":{"x-ratelimit-remaining":"0","x-ratelimit-reset":")" +
              reset +
              R"("},"body":{"message":"API rate limit exceeded"}},)"
              R"({"status":429,"headers":{"retry-after":"1"}},{"status":502}])");
      github_.fail_next("GET", "/repos/",
                        R"([{"status":502},{"status":429,"headers":{"retry-after":"1"}}])");
      std::this_thread::sleep_for(settings_.load / 4);
    }
  });
  // GitHub's refusals were met and waited out.
  for (const char* status : {"502", "403", "429"})
    EXPECT_GT(
        database_.count(std::string("SELECT count(*) FROM github_calls WHERE status = ") + status),
        0)
        << status;
}

}  // namespace
}  // namespace faultline::testing
