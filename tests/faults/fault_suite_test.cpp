// The fault suite: under a steady stream of signed deliveries, one fault at a
// time, then the claim is checked: every delivery that got a 202 is in the
// state exactly once, every incident has exactly one GitHub issue, nothing
// answered a 5xx other than the documented 503, and the processes that were
// not the target kept running. Each fault writes one JSON line of figures to
// stdout and, with FAULTLINE_FAULTS_REPORT, to that file.
//
// Short by default (scripts/test); FAULTLINE_FAULTS_FULL=1 (scripts/faults)
// runs longer, faster and with ten kills.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "common/json.hpp"
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

struct Settings {
  bool full = std::getenv("FAULTLINE_FAULTS_FULL") != nullptr;
  int rate = full ? 60 : 30;  // deliveries per second
  std::chrono::seconds load = full ? 40s : 12s;
  int kills = full ? 10 : 3;
};

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
        answers_[id] = status;
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
    return answers_;
  }

 private:
  int port_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::mutex mutex_;
  std::map<std::string, long> answers_;
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
  }

  std::unique_ptr<ChildProcess> start_ingest() {
    auto process = std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-ingest")},
        std::map<std::string, std::string>{
            {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
            {"FAULTLINE_WEBHOOK_SECRETS", kSecret},
            {"FAULTLINE_INGEST_ADDR", "127.0.0.1:" + std::to_string(port_)}},
        scratch_path("ingest.log"));
    process->wait_for_log("\"msg\":\"listening\"", 10s);
    return process;
  }

  std::unique_ptr<ChildProcess> start_processors() {
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
        scratch_path("processors.log"));
  }

  // Runs the stream for the configured time with `fault` injected on its own
  // thread; then checks and reports.
  template <typename Fault>
  void under_load(const std::string& name, Fault&& fault) {
    const auto started = Clock::now();
    Stream stream(deliveries_, port_, settings_.rate);
    std::thread injector([&] { fault(); });
    std::this_thread::sleep_until(started + settings_.load);
    injector.join();
    stream.stop();
    check(name, stream.answers(), Clock::now() - started);
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
    EXPECT_EQ(incidents_without_one_issue, 0) << report << "\n" << github_.issues().substr(0, 2000);
    EXPECT_TRUE(survivors) << report;
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
  std::unique_ptr<ChildProcess> ingest_, processors_;
  std::mt19937 random_{std::random_device{}()};
};

TEST_F(FaultSuite, ProcessorsKilledAtRandomMoments) {
  under_load("processors kill -9 x" + std::to_string(settings_.kills), [&] {
    const auto window = settings_.load * 3 / 4;
    for (int kill = 0; kill < settings_.kills; ++kill) {
      std::this_thread::sleep_for(window / settings_.kills / 2 +
                                  std::chrono::milliseconds(random_() % 700));
      processors_->signal(SIGKILL);
      processors_->wait(10s);
      processors_ = start_processors();
    }
  });
}

TEST_F(FaultSuite, ABrokerGoesDownAndLeadersMove) {
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
