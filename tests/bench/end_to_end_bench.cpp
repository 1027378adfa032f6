// faultline-bench-e2e: the time from ingest's 202 to the run being visible in
// GET /api/v1/workflow-runs, at a steady delivery rate, over the whole system
// (ingest -> devbroker -> processors -> PostgreSQL -> api), all started here.
// Every 25th delivery is a sample on a branch of its own, so a dashboard's
// list filtered by that branch shows exactly when it arrived; samples are
// polled every 10 ms. Prints one JSON line: p50/p90/p99/max latency, the rate
// achieved, answers, and the peak RSS of every process.
//
// usage: faultline-bench-e2e RATE SECONDS   (FAULTLINE_DATABASE_URL,
//        FAULTLINE_KAFKA_BROKERS, FAULTLINE_BIN_DIR, FAULTLINE_TEST_SCRATCH)

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "common/database.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/examples.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/process.hpp"

using namespace faultline;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kSecret = "bench-secret";
constexpr int kSenders = 8;  // each waits for its answer, ~4 ms
constexpr long long kFirstRun = 7000000;
constexpr int kSampleEvery = 25;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (!value) {
    std::cerr << name << " is required\n";
    std::exit(2);
  }
  return value;
}

double peak_rss_mb(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmHWM:", 0) == 0)
      return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

using Quantiles = std::vector<std::pair<const char*, double>>;

// Writes each named quantile of `values` (0.5 is the median, 1.0 the maximum).
void write_quantiles(json::Writer& out, std::vector<double> values, const Quantiles& quantiles) {
  std::sort(values.begin(), values.end());
  for (const auto& [name, q] : quantiles) {
    out.Key(name);
    out.Double(
        values.empty()
            ? 0
            : values[std::min(values.size() - 1,
                              static_cast<std::size_t>(q * static_cast<double>(values.size())))]);
  }
}

std::string sample_branch(long long sequence) {
  return "e2e-sample-" + std::to_string(sequence);
}

std::string body_for(const std::string& example, long long run, long long sequence) {
  auto doc = json::parse(example);
  auto& allocator = doc.GetAllocator();
  const auto branch = sequence % kSampleEvery == 0 ? sample_branch(sequence) : "main";
  doc["workflow_run"]["head_branch"].SetString(branch.c_str(), allocator);
  doc["workflow_run"]["id"].SetInt64(run);
  doc["workflow_run"]["run_attempt"].SetInt(1);
  // Newest first in the list: creation times follow the order of sending, a
  // second apart from 00:00:00.
  char at[32];
  std::snprintf(at, sizeof at, "2026-11-23T%02lld:%02lld:%02lldZ", sequence / 3600 % 24,
                sequence / 60 % 60, sequence % 60);
  doc["workflow_run"]["created_at"].SetString(at, allocator);
  return json::serialize(doc);
}

}  // namespace

int main(int argc, char** argv) {
  const int rate = argc > 1 ? std::atoi(argv[1]) : 1000;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 20;
  if (rate <= 0 || seconds <= 0) {
    std::cerr << "usage: faultline-bench-e2e RATE SECONDS\n";
    return 2;
  }
  const std::string database_url = env("FAULTLINE_DATABASE_URL");
  const std::string brokers = env("FAULTLINE_KAFKA_BROKERS");
  const std::string bin = env("FAULTLINE_BIN_DIR");
  log::configure("bench", log::Level::warn);

  const std::string example = testing::completed_workflow_run_example();

  testing::ChildProcess ingest({bin + "/faultline-ingest"},
                               {{"FAULTLINE_KAFKA_BROKERS", brokers},
                                {"FAULTLINE_WEBHOOK_SECRETS", kSecret},
                                {"FAULTLINE_INGEST_ADDR", "127.0.0.1:0"}},
                               testing::scratch_path("ingest.log"));
  const auto ingest_port =
      testing::log_field_int(ingest.wait_for_log("\"msg\":\"listening\"", 10s), "port");
  testing::ChildProcess processors({bin + "/faultline-processors", "--roles", "runs"},
                                   {{"FAULTLINE_DATABASE_URL", database_url},
                                    {"FAULTLINE_KAFKA_BROKERS", brokers},
                                    {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"},
                                    {"FAULTLINE_LOG_LEVEL", "warn"}},
                                   testing::scratch_path("processors.log"));
  testing::ChildProcess api({bin + "/faultline-api"},
                            {{"FAULTLINE_DATABASE_URL", database_url},
                             {"FAULTLINE_API_ADDR", "127.0.0.1:0"},
                             {"FAULTLINE_JWT_SECRET", testing::kTestJwtSecret},
                             {"FAULTLINE_LOG_LEVEL", "info"}},
                            testing::scratch_path("api.log"));
  const auto api_port =
      testing::log_field_int(api.wait_for_log("\"msg\":\"listening\"", 20s), "port");
  const std::string api_base = "http://127.0.0.1:" + std::to_string(api_port);
  std::this_thread::sleep_for(6s);  // the consumer group joins

  // A signed-in reader, as a dashboard would be.
  testing::HttpClient reader;
  {
    const auto registered = reader.request(
        "POST", api_base + "/api/v1/auth/register", {"Content-Type: application/json"},
        R"({"email":"bench@example.com","password":"correct horse battery staple"})");
    if (registered.status != 201) {
      std::cerr << "register: " << registered.status << " " << registered.body << "\n";
      return 1;
    }
  }
  const auto token = std::string(
      json::string_member(
          json::parse(
              reader
                  .request(
                      "POST", api_base + "/api/v1/auth/login", {"Content-Type: application/json"},
                      R"({"email":"bench@example.com","password":"correct horse battery staple"})")
                  .body),
          "access_token")
          .value_or(""));

  std::mutex mutex;
  std::map<long long, Clock::time_point> accepted_at, visible_at;  // samples, by sequence
  std::atomic<long long> answered_202{0}, other{0};
  std::atomic<bool> stop{false};
  const auto started = Clock::now();
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s)
    senders.emplace_back([&, s] {
      testing::HttpClient client;
      const auto gap = std::chrono::microseconds(1000000LL * kSenders / rate);
      auto next = started + std::chrono::microseconds(1000000LL * s / rate);
      for (long long i = s; Clock::now() < started + std::chrono::seconds(seconds); i += kSenders) {
        std::this_thread::sleep_until(next);
        next += gap;
        const long long run = kFirstRun + i;
        const auto body = body_for(example, run, i);
        try {
          const auto answer = client.request(
              "POST", "http://127.0.0.1:" + std::to_string(ingest_port) + "/webhooks/github",
              testing::webhook_headers("workflow_run", "e2e-" + std::to_string(i), body, kSecret),
              body);
          if (answer.status == 202) {
            ++answered_202;
            if (i % kSampleEvery == 0) {
              std::lock_guard lock(mutex);
              accepted_at[i] = Clock::now();
            }
          } else {
            ++other;
          }
        } catch (const std::exception&) {
          ++other;
        }
      }
    });

  // The dashboard's view: each sample's branch, every 10 ms until it shows.
  long long polls = 0;
  std::vector<double> poll_ms;  // the dashboard's own wait, per request
  std::thread poller([&] {
    while (!stop) {
      std::vector<long long> pending;
      {
        std::lock_guard lock(mutex);
        for (const auto& [sequence, at] : accepted_at)
          if (!visible_at.count(sequence))
            pending.push_back(sequence);
      }
      for (const auto sequence : pending) {
        const auto asked = Clock::now();
        const auto page = reader.get(
            api_base + "/api/v1/workflow-runs?page_size=1&branch=" + sample_branch(sequence),
            {"Authorization: Bearer " + token});
        ++polls;
        poll_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - asked).count());
        // Items, not total: the total is cached for a while, the items never.
        if (page.status == 200 && !json::parse(page.body)["items"].Empty()) {
          std::lock_guard lock(mutex);
          visible_at.emplace(sequence, Clock::now());
        }
      }
      std::this_thread::sleep_for(10ms);
    }
  });
  for (auto& t : senders)
    t.join();
  const double sending_seconds = std::chrono::duration<double>(Clock::now() - started).count();
  // Let the last ones arrive.
  const auto settle = Clock::now() + 30s;
  while (Clock::now() < settle) {
    {
      std::lock_guard lock(mutex);
      if (visible_at.size() >= accepted_at.size())
        break;
    }
    std::this_thread::sleep_for(50ms);
  }
  stop = true;
  poller.join();

  std::vector<double> latencies;
  long long unseen = 0;
  for (const auto& [sequence, at] : accepted_at) {
    const auto seen = visible_at.find(sequence);
    if (seen == visible_at.end()) {
      ++unseen;  // never arrived within the settling time
      continue;
    }
    latencies.push_back(std::chrono::duration<double, std::milli>(seen->second - at).count());
  }
  // Where the time goes: from the produce in ingest to the transaction that
  // applied the event (PostgreSQL's clock and the broker's are this machine's).
  std::vector<double> to_database_ms;
  {
    soci::session sql(soci::postgresql, with_utc_sessions(database_url));
    soci::rowset<double> rows =
        (sql.prepare << "SELECT 1000 * EXTRACT(EPOCH FROM applied_at - kafka_timestamp)::float8"
                        " FROM applied_events WHERE kafka_timestamp IS NOT NULL");
    for (const double ms : rows)
      to_database_ms.push_back(ms);
  }
  const auto report = json::object([&](json::Writer& out) {
    out.Key("target_rate_per_s");
    out.Int(rate);
    out.Key("achieved_rate_per_s");
    out.Double(static_cast<double>(answered_202) / sending_seconds);
    out.Key("accepted");
    out.Int64(answered_202);
    out.Key("not_accepted");
    out.Int64(other);
    out.Key("measured");
    out.Int64(static_cast<std::int64_t>(latencies.size()));
    out.Key("samples_never_seen");
    out.Int64(unseen);
    out.Key("sample_polls");
    out.Int64(polls);
    write_quantiles(out, latencies,
                    {{"p50_ms", 0.5}, {"p90_ms", 0.9}, {"p99_ms", 0.99}, {"max_ms", 1.0}});
    out.Key("stages");
    out.StartObject();
    for (const auto& [name, values] : std::vector<std::pair<const char*, std::vector<double>*>>{
             {"produced_to_applied", &to_database_ms}, {"list_request", &poll_ms}}) {
      out.Key(name);
      out.StartObject();
      write_quantiles(out, *values, {{"p50_ms", 0.5}, {"p99_ms", 0.99}});
      out.EndObject();
    }
    out.EndObject();
    out.Key("peak_rss_mb");
    out.StartObject();
    out.Key("ingest");
    out.Double(peak_rss_mb(ingest.pid()));
    out.Key("processors");
    out.Double(peak_rss_mb(processors.pid()));
    out.Key("api");
    out.Double(peak_rss_mb(api.pid()));
    out.EndObject();
  });
  std::cout << report << std::endl;
  return 0;
}
