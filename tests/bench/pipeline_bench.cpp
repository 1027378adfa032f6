// faultline-bench-pipeline: events per second from ci.workflow_run.v1 into
// PostgreSQL for one role, a set-based bulk insert of the same rows as the
// ceiling, and the time to replay what the broker retains. Prints one JSON
// document. Needs FAULTLINE_DATABASE_URL (an empty database), a fresh
// FAULTLINE_KAFKA_BROKERS and FAULTLINE_BIN_DIR.
//   faultline-bench-pipeline EVENTS runs|incidents

#include <signal.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <thread>

#include "common/database.hpp"
#include "common/json.hpp"
#include "common/kafka.hpp"
#include "common/log.hpp"
#include "common/migrations.hpp"
#include "common/topics.hpp"
#include "tests/support/process.hpp"
#include "tests/support/run_events.hpp"

namespace {

using namespace faultline;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// The embedded broker keeps ~5 MiB per partition: never run further ahead of
// the slower consumer than this, or events would be gone before they are read.
constexpr long long kMaxLag = 20000;

std::string env(const char* name) {
  const char* value = std::getenv(name);
  if (!value || !*value) {
    std::cerr << "faultline-bench-pipeline: " << name << " is not set\n";
    std::exit(2);
  }
  return value;
}

long long consumed(Database& db, const char* group) {
  return db.with_session([&](soci::session& sql) {
    long long total = 0;
    soci::indicator ind = soci::i_null;
    const std::string g = group;
    sql << "SELECT sum(next_offset) FROM consumer_offsets WHERE group_id = :g", soci::use(g, "g"),
        soci::into(total, ind);
    return ind == soci::i_ok ? total : 0LL;
  });
}

testing::RunSpec spec_for(long long i) {
  testing::RunSpec spec;
  spec.run_id = 1'000'000 + i;
  spec.repository_id = 100 + i % 50;
  spec.repository = "bench/repo-" + std::to_string(spec.repository_id);
  spec.workflow_id = i % 7;
  spec.workflow = "wf-" + std::to_string(spec.workflow_id);
  spec.branch = "branch-" + std::to_string(i % 13);
  spec.conclusion = i % 10 == 0 ? "failure" : "success";
  spec.delivery_id = "bench-" + std::to_string(i);
  return spec;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// The ceiling: the same rows (every column the events carry), one
// jsonb_to_recordset INSERT per 500, no consumer.
double bulk_insert_rate(Database& db, long long rows) {
  db.with_session([](soci::session& sql) {
    sql << "CREATE TABLE IF NOT EXISTS bench_ceiling (LIKE workflow_runs INCLUDING ALL)";
    sql << "TRUNCATE bench_ceiling";
  });
  const auto started = Clock::now();
  for (long long first = 0; first < rows; first += 500) {
    rapidjson::StringBuffer buffer;
    json::Writer out(buffer);
    out.StartArray();
    for (long long i = first; i < std::min(rows, first + 500); ++i) {
      const auto e = testing::run_event(spec_for(i));
      out.StartObject();
      out.Key("repository_id");
      out.Int64(e.envelope.repository.id);
      out.Key("run_id");
      out.Int64(e.run.id);
      out.Key("run_attempt");
      out.Int64(e.run.run_attempt);
      out.Key("workflow_id");
      json::write(out, e.run.workflow_id);
      out.Key("name");
      json::write(out, *e.run.name);
      out.Key("head_branch");
      json::write(out, *e.run.head_branch);
      out.Key("status");
      json::write(out, e.run.status);
      out.Key("conclusion");
      json::write(out, *e.run.conclusion);
      out.Key("html_url");
      json::write(out, e.run.html_url);
      out.Key("created_at");
      json::write(out, e.run.created_at);
      out.Key("updated_at");
      json::write(out, *e.run.updated_at);
      out.EndObject();
    }
    out.EndArray();
    const std::string rows_json(buffer.GetString(), buffer.GetSize());
    db.with_session([&](soci::session& sql) {
      sql << "INSERT INTO bench_ceiling (repository_id, run_id, run_attempt, workflow_id, name,"
             " head_branch, status, conclusion, html_url, created_at, updated_at)"
             " SELECT * FROM jsonb_to_recordset(:rows::jsonb)"
             " AS x(repository_id bigint, run_id bigint, run_attempt int, workflow_id bigint,"
             " name text, head_branch text, status text, conclusion text, html_url text,"
             " created_at timestamptz, updated_at timestamptz)",
          soci::use(rows_json, "rows");
    });
  }
  return static_cast<double>(rows) / seconds_since(started);
}

}  // namespace

int main(int argc, char** argv) {
  const long long events = argc > 1 ? std::atoll(argv[1]) : 1'000'000;
  const std::string role = argc > 2 ? argv[2] : "runs";
  if (events <= 0 || (role != "runs" && role != "incidents")) {
    std::cerr << "usage: faultline-bench-pipeline EVENTS runs|incidents\n";
    return 2;
  }
  const std::string group = "faultline-" + role;
  const std::string database_url = env("FAULTLINE_DATABASE_URL");
  const std::string brokers = env("FAULTLINE_KAFKA_BROKERS");
  const std::string bin = env("FAULTLINE_BIN_DIR");
  log::configure("bench", log::Level::warn);

  Database db(DatabaseSettings{database_url, 2});
  db.with_session([](soci::session& sql) { migrate(sql, schemas::migrations()); });
  const std::map<std::string, std::string> service_env{{"FAULTLINE_DATABASE_URL", database_url},
                                                       {"FAULTLINE_KAFKA_BROKERS", brokers},
                                                       {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"},
                                                       {"FAULTLINE_LOG_LEVEL", "warn"}};
  auto processors = std::make_unique<testing::ChildProcess>(
      std::vector<std::string>{bin + "/faultline-processors", "--roles", role}, service_env,
      testing::scratch_path("processors.log"));
  std::this_thread::sleep_for(6s);  // the groups join (the embedded broker takes ~3 s)

  kafka::Producer producer(kafka::Settings{brokers, {}}, 30s);
  const auto started = Clock::now();
  double elapsed = 0;
  long long produced = 0;
  while (true) {
    const long long done = consumed(db, group.c_str());
    if (done >= events) {
      elapsed = seconds_since(started);
      break;
    }
    const long long room = std::min(events - produced, kMaxLag - (produced - done));
    for (long long i = 0; i < room; ++i) {
      const auto e = testing::run_event(spec_for(produced + i));
      producer.produce(testing::run_message(e), [](rd_kafka_resp_err_t err) {
        if (err)
          std::cerr << "produce failed: " << rd_kafka_err2str(err) << "\n";
      });
    }
    produced += std::max(room, 0LL);
    producer.flush(5s);
    if (!processors->running()) {
      std::cerr << "faultline-processors exited:\n" << processors->log();
      return 1;
    }
    std::this_thread::sleep_for(50ms);
    if (seconds_since(started) > 900) {
      std::cerr << "gave up after 15 minutes: " << done << " of " << events << " applied\n";
      return 1;
    }
  }

  // Replay: rewind the runs group and time re-reading what the broker still holds.
  processors->signal(SIGTERM);
  processors->wait(30s);
  long long retained = 0;
  {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", brokers.c_str(), error, sizeof error);
    kafka::HandlePtr handle(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
    for (int p = 0; p < 6; ++p) {
      int64_t low = 0, high = 0;
      if (!rd_kafka_query_watermark_offsets(handle.get(), topics::kWorkflowRun, p, &low, &high,
                                            5000))
        retained += high - low;
    }
  }
  const long long before = consumed(db, group.c_str());
  testing::ChildProcess rewind(
      {bin + "/faultline-processors", "replay", "--group", group, "--to-beginning"}, service_env,
      testing::scratch_path("replay.log"));
  rewind.wait(30s);
  const auto replay_started = Clock::now();
  testing::ChildProcess replaying({bin + "/faultline-processors", "--roles", role}, service_env,
                                  testing::scratch_path("processors-replay.log"));
  // The group starts from the oldest retained offset, so it is done at the old position again.
  while (consumed(db, group.c_str()) < before && seconds_since(replay_started) < 300)
    std::this_thread::sleep_for(50ms);
  const double replay_seconds = seconds_since(replay_started);
  replaying.signal(SIGTERM);
  replaying.wait(30s);

  const double ceiling = bulk_insert_rate(db, std::min(events, 200'000LL));

  const double rate = static_cast<double>(events) / elapsed;
  std::cout << json::object([&](json::Writer& out) {
    out.Key("benchmark");
    out.String("pipeline");
    out.Key("role");
    json::write(out, role);
    out.Key("events");
    out.Int64(events);
    out.Key("events_per_s");
    out.Double(rate);
    out.Key("bulk_insert_ceiling_rows_per_s");
    out.Double(ceiling);
    out.Key("vs_ceiling");
    out.Double(rate / ceiling);
    out.Key("replay_retained_events");
    out.Int64(retained);
    out.Key("replay_seconds");
    out.Double(replay_seconds);
    out.Key("replay_events_per_s");
    out.Double(static_cast<double>(retained) / replay_seconds);
  }) << "\n";
  return 0;
}
