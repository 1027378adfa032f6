// Role `incidents` against real PostgreSQL and the embedded broker: one
// incident per failing workflow and branch, resolved by the next success, and
// lifecycle events published exactly when their change committed.

#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "common/database.hpp"
#include "common/json.hpp"
#include "common/soci.hpp"
#include "common/topics.hpp"
#include "ingest/gitlab_normalize.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/gitlab_hooks.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/run_events.hpp"

namespace faultline::testing {
namespace {

using namespace std::chrono_literals;

class IncidentsProcessorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    producer_ = std::make_unique<kafka::Producer>(kafka::Settings{broker_.bootstrap(), {}}, 10s);
  }

  std::unique_ptr<ChildProcess> start_processors() {
    return std::make_unique<ChildProcess>(
        std::vector<std::string>{binary("faultline-processors"), "--roles", "incidents"},
        std::map<std::string, std::string>{{"FAULTLINE_DATABASE_URL", database_.url()},
                                           {"FAULTLINE_KAFKA_BROKERS", broker_.bootstrap()},
                                           {"FAULTLINE_PROCESSORS_ADDR", "127.0.0.1:0"}},
        scratch_path("processors.log"));
  }

  void publish(const RunSpec& spec) {
    ASSERT_EQ(producer_->produce_and_wait(run_message(run_event(spec))),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  void publish_pipeline(const std::string& delivery, const std::string& hook) {
    ASSERT_EQ(producer_->produce_and_wait(gitlab_message(ingest::kPipelineHook, delivery, hook)),
              RD_KAFKA_RESP_ERR_NO_ERROR);
  }

  static RunSpec completed(std::int64_t run_id, const char* conclusion, const char* created_at,
                           const char* branch = "main") {
    RunSpec spec;
    spec.run_id = run_id;
    spec.conclusion = conclusion;
    spec.created_at = created_at;
    spec.branch = branch;
    spec.delivery_id = "delivery-" + std::to_string(run_id);
    return spec;
  }

  // The lifecycle events on ci.incident.v1, in order of arrival.
  std::vector<std::string> incident_events(std::size_t expected) {
    std::vector<std::string> types;
    for (const auto& m : read_topic(broker_.bootstrap(), topics::kIncident, expected, 10s)) {
      const auto value = json::parse(m.value);
      types.emplace_back(*json::string_member(value, "type"));
    }
    return types;
  }

  TestDatabase database_;
  TestBroker broker_;
  std::unique_ptr<kafka::Producer> producer_;
};

TEST_F(IncidentsProcessorTest, ARunThatPassesOnARerunOfTheSameCommitResolvesAsFlaky) {
  auto processors = start_processors();
  publish(completed(60, "failure", "2026-11-23T10:00:00Z"));
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'open'", 1), 1)
      << processors->log();
  auto rerun = completed(60, "success", "2026-11-23T10:00:00Z");  // same run, same created_at
  rerun.attempt = 2;
  rerun.delivery_id = "delivery-60-2";
  publish(rerun);
  ASSERT_EQ(
      database_.wait_for_count(
          "SELECT count(*) FROM incidents WHERE state = 'resolved' AND resolution = 'flaky'", 1),
      1)
      << processors->log();

  // A later run that passes is a fix, not a flake.
  // (Runs travel in different partitions: each waits for the one before.)
  publish(completed(61, "failure", "2026-11-23T11:00:00Z"));
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'open'", 1), 1)
      << processors->log();
  publish(completed(62, "success", "2026-11-23T12:00:00Z"));
  EXPECT_EQ(
      database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'resolved'"
                               " AND resolution = 'run_succeeded' AND resolved_by_run_id = 62",
                               1),
      1)
      << processors->log();
  // The event says so, as partners read it.
  EXPECT_EQ(database_.count("SELECT count(*) FROM outbox WHERE event_type = 'resolved'"
                            " AND payload::jsonb->'incident'->>'resolution' = 'flaky'"),
            1);
}

TEST_F(IncidentsProcessorTest, AGitLabPipelineThatPassesOnARetryResolvesItsIncidentAsFlaky) {
  auto processors = start_processors();
  publish_pipeline("p-1", pipeline_hook(31, "failed", "2026-11-23 10:05:00 UTC", "build"));
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'open'", 1), 1)
      << processors->log();
  // Keyed by the project, the pipeline's name and its ref.
  EXPECT_EQ(database_.scalar("SELECT repository_id || ' ' || workflow_key || ' ' || branch || ' '"
                             " || first_failed_run_id FROM incidents"),
            "-1 build master -31");
  EXPECT_EQ(database_.scalar("SELECT provider || ' ' || full_name FROM repositories"),
            "gitlab gitlab-org/gitlab-test");

  // GitLab retries the pipeline in place: running again (still carrying its
  // first finish), then passing. A resend of the failure changes nothing.
  publish_pipeline("p-1", pipeline_hook(31, "failed", "2026-11-23 10:05:00 UTC", "build"));
  publish_pipeline("p-2", pipeline_hook(31, "running", "2026-11-23 10:05:00 UTC", "build"));
  publish_pipeline("p-3", pipeline_hook(31, "success", "2026-11-23 10:30:00 UTC", "build"));
  ASSERT_EQ(
      database_.wait_for_count(
          "SELECT count(*) FROM incidents WHERE state = 'resolved' AND resolution = 'flaky'", 1),
      1)
      << processors->log();
  EXPECT_EQ(database_.count("SELECT occurrences FROM incidents"), 1);
  EXPECT_EQ(database_.scalar("SELECT string_agg(role || '@' || run_attempt, ',' ORDER BY"
                             " run_attempt) FROM incident_runs"),
            "failure@1,resolution@2");

  // As partners read it: GitLab's own ids, the provider, the pipeline's page.
  const auto opened =
      json::parse(database_.scalar("SELECT payload FROM outbox WHERE event_type = 'opened'"));
  EXPECT_EQ(json::integer_member(opened, "run_id"), 31);
  EXPECT_EQ(json::string_member(opened, "run_url").value_or(""),
            "http://192.168.64.1:3005/gitlab-org/gitlab-test/-/pipelines/31");
  const auto& incident = opened["incident"];
  EXPECT_EQ(json::string_member(incident, "provider").value_or(""), "gitlab");
  EXPECT_EQ(json::integer_member(incident, "repository_id"), 1);
  EXPECT_EQ(json::integer_member(incident, "first_failed_run_id"), 31);
  EXPECT_EQ(json::string_member(incident, "repository").value_or(""), "gitlab-org/gitlab-test");
  const auto resolved =
      json::parse(database_.scalar("SELECT payload FROM outbox WHERE event_type = 'resolved'"));
  EXPECT_EQ(json::integer_member(resolved["incident"], "resolved_by_run_id"), 31);

  // A pipeline without a name is keyed by what started it.
  publish_pipeline("p-4", pipeline_hook(32, "failed", "2026-11-23 11:00:00 UTC"));
  EXPECT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'open'"
                                     " AND workflow_key = 'merge_request_event'",
                                     1),
            1)
      << processors->log();
}

TEST_F(IncidentsProcessorTest, FailureOpensRecursAndSuccessResolves) {
  auto processors = start_processors();
  publish(completed(1, "failure", "2026-11-23T10:00:00Z"));
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'open'", 1), 1)
      << processors->log();

  publish(completed(2, "timed_out", "2026-11-23T10:10:00Z"));
  EXPECT_EQ(database_.wait_for_count("SELECT occurrences FROM incidents", 2), 2);
  EXPECT_EQ(
      database_.scalar("SELECT first_failed_run_id || '/' || last_failed_run_id FROM incidents"),
      "1/2");

  // Neutral conclusions and other branches change nothing here.
  publish(completed(3, "cancelled", "2026-11-23T10:15:00Z"));
  publish(completed(4, "success", "2026-11-23T10:16:00Z", "feature"));
  publish(completed(5, "success", "2026-11-23T10:20:00Z"));
  EXPECT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'resolved'", 1),
            1);
  EXPECT_EQ(database_.scalar("SELECT resolved_by_run_id FROM incidents"), "5");
  EXPECT_EQ(database_.count("SELECT count(*) FROM incidents"), 1);

  EXPECT_EQ(
      database_.wait_for_count("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL", 3), 3);
  EXPECT_EQ(incident_events(3), (std::vector<std::string>{"opened", "recurred", "resolved"}));

  // The API shows it, with the runs that made it.
  ApiProcess api(database_);
  const auto& base = api.base();
  HttpClient client;
  const auto reader = new_account(database_, client, base, "reader@example.com").authorization();
  const auto list =
      json::parse(client.get(base + "/api/v1/incidents?state=resolved", {reader}).body);
  ASSERT_EQ(json::integer_member(list, "total"), 1);
  const auto id = *json::integer_member((*json::member(list, "items"))[0], "id");
  const auto detail = client.get(base + "/api/v1/incidents/" + std::to_string(id), {reader});
  ASSERT_EQ(detail.status, 200) << detail.body;
  const auto incident = json::parse(detail.body);
  EXPECT_EQ(json::string_member(incident, "state"), "resolved");
  EXPECT_EQ(json::string_member(incident, "repository"), "octo/widgets");
  EXPECT_EQ((*json::member(incident, "runs")).GetArray().Size(), 3u);
  EXPECT_EQ(client.get(base + "/api/v1/incidents?state=bogus", {reader}).status, 400);
  EXPECT_EQ(client.get(base + "/api/v1/incidents/999999", {reader}).status, 404);
}

TEST_F(IncidentsProcessorTest, AnIncidentEventCarriesTheTraceOfTheRunThatMadeIt) {
  auto processors = start_processors();
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  auto failing = run_message(run_event(completed(30, "failure", "2026-11-23T10:00:00Z")));
  failing.headers.push_back({"traceparent", "00-" + trace_id + "-00f067aa0ba902b7-01"});
  failing.headers.push_back({"tracestate", "congo=t61rcWkgMzE"});
  ASSERT_EQ(producer_->produce_and_wait(std::move(failing)), RD_KAFKA_RESP_ERR_NO_ERROR);
  // Runs travel in different partitions: the success waits for the failure (README, limits).
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'open'", 1), 1)
      << processors->log();
  publish(completed(31, "success", "2026-11-23T10:05:00Z"));  // no trace of its own

  ASSERT_EQ(
      database_.wait_for_count("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL", 2), 2)
      << processors->log();
  const auto messages = read_topic(broker_.bootstrap(), topics::kIncident, 2, 10s);
  ASSERT_EQ(messages.size(), 2U);
  auto header = [](const ConsumedMessage& m, const std::string& name) {
    for (const auto& [k, v] : m.headers)
      if (k == name)
        return v;
    return std::string();
  };
  // The opening event continues the run's trace in a span of the incidents role.
  const std::string opened = header(messages[0], "traceparent");
  ASSERT_EQ(opened.size(), 55U) << opened;
  EXPECT_EQ(opened.substr(3, 32), trace_id);
  EXPECT_NE(opened.substr(36, 16), "00f067aa0ba902b7");
  EXPECT_EQ(header(messages[0], "tracestate"), "congo=t61rcWkgMzE");
  // The resolving one has a trace of its own, started where none came in.
  const std::string resolved = header(messages[1], "traceparent");
  ASSERT_EQ(resolved.size(), 55U) << resolved;
  EXPECT_NE(resolved.substr(3, 32), trace_id);
  // The role says what it changed, under the run's trace.
  const auto line = processors->wait_for_log("\"trace_id\":\"" + trace_id + "\"", 5s);
  EXPECT_NE(line.find("\"change\":\"opened\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"span_id\":\"" + opened.substr(36, 16) + "\""), std::string::npos) << line;
}

// The processors' /metrics, the way Prometheus reads it.
std::string processor_metrics(ChildProcess& processors) {
  const auto port =
      log_field_int(processors.wait_for_log("\"msg\":\"started\"", 20s), "status_port");
  HttpClient client;
  return client.get("http://127.0.0.1:" + std::to_string(port) + "/metrics").body;
}

// The value of a sample whose line starts with `series`, or -1.
double sample(const std::string& metrics, const std::string& series) {
  const auto at = metrics.find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(metrics.substr(at + series.size() + 2));
}

TEST_F(IncidentsProcessorTest, TheLagAndTheOutboxBacklogShowOnMetrics) {
  auto processors = start_processors();
  // Both consumers own their partitions before the lag is measured: during a
  // rebalance a partition is nobody's and its messages count nowhere.
  processors->wait_for_log("\"msg\":\"partitions assigned\"", 60s);
  ASSERT_TRUE(wait_for_settled_groups(*processors, 2s, 60s)) << processors->log();
  const std::string lag =
      R"(faultline_processor_consumer_lag_messages{group="faultline-incidents"})";
  auto wait_for = [&](const std::string& series, auto accept) {
    double value = -1;
    for (int i = 0; i < 100 && !accept(value = sample(processor_metrics(*processors), series)); ++i)
      std::this_thread::sleep_for(200ms);
    return value;
  };

  // Batches cannot commit while the offsets table is locked: what is published waits.
  {
    soci::session blocker(soci::postgresql, with_utc_sessions(database_.url()));
    soci::transaction hold(blocker);
    blocker << "LOCK TABLE consumer_offsets IN EXCLUSIVE MODE";
    for (int i = 0; i < 5; ++i)
      publish(completed(40 + i, "failure", "2026-11-23T10:00:00Z", "lagging"));
    EXPECT_EQ(wait_for(lag, [](double v) { return v == 5; }), 5) << processors->log();
    hold.rollback();
  }
  EXPECT_EQ(wait_for(lag, [](double v) { return v == 0; }), 0) << processors->log();

  // An event the relay cannot take (another transaction holds its row) stays
  // in the backlog. The relay may publish a row between its insert and our
  // lock: then another row is tried.
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM outbox WHERE published_at IS NULL", 0),
            0);
  {
    soci::session writer(soci::postgresql, with_utc_sessions(database_.url()));  // autocommit
    soci::session holder(soci::postgresql, with_utc_sessions(database_.url()));
    soci::transaction hold(holder);
    bool held = false;
    for (int i = 0; i < 10 && !held; ++i) {
      long long id = 0;
      writer << "INSERT INTO outbox (topic, message_key, event_type, payload, created_at)"
                " VALUES ('ci.incident.v1', '999', 'opened', '{}', now() - interval '1 hour')"
                " RETURNING id",
          soci::into(id);
      int unpublished = 0;
      holder << "SELECT (published_at IS NULL)::int FROM outbox WHERE id = :id FOR UPDATE",
          soci::use(id, "id"), soci::into(unpublished);
      held = unpublished == 1;
    }
    ASSERT_TRUE(held);
    EXPECT_EQ(wait_for("faultline_outbox_backlog", [](double v) { return v == 1; }), 1);
    EXPECT_GE(sample(processor_metrics(*processors), "faultline_outbox_oldest_seconds"), 3600);
    hold.rollback();
  }
  EXPECT_EQ(wait_for("faultline_outbox_backlog", [](double v) { return v == 0; }), 0);
  EXPECT_EQ(sample(processor_metrics(*processors), "faultline_outbox_oldest_seconds"), 0);
}

TEST_F(IncidentsProcessorTest, RedeliveriesAndReplaysChangeNothing) {
  auto processors = start_processors();
  publish(completed(10, "failure", "2026-11-23T10:00:00Z"));
  publish(completed(10, "failure", "2026-11-23T10:00:00Z"));  // GitHub redelivered it
  // Runs travel in different partitions; wait so the success comes after (README, limits).
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'open'", 1), 1);
  publish(completed(11, "success", "2026-11-23T10:05:00Z"));
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents WHERE state = 'resolved'", 1),
            1)
      << processors->log();
  // The failure arrives once more, after the resolution (a replay).
  publish(completed(10, "failure", "2026-11-23T10:00:00Z"));
  // A marker run on another branch shows when the replayed event was processed.
  publish(completed(12, "failure", "2026-11-23T10:06:00Z", "marker"));
  ASSERT_EQ(database_.wait_for_count("SELECT count(*) FROM incidents", 2), 2);
  EXPECT_EQ(database_.scalar("SELECT occurrences FROM incidents WHERE branch = 'main'"), "1");
  EXPECT_EQ(database_.count("SELECT count(*) FROM incidents WHERE branch = 'main'"), 1);
  EXPECT_EQ(database_.count("SELECT count(*) FROM outbox"), 3);  // opened, resolved, opened
}

TEST_F(IncidentsProcessorTest, AnEventIsPublishedOnlyIfItsChangeCommitted) {
  publish(completed(20, "failure", "2026-11-23T10:00:00Z"));

  // The first batch blocks on the offsets table after writing the incident and
  // its outbox row; the process dies there, so neither may survive.
  soci::session blocker(soci::postgresql, with_utc_sessions(database_.url()));
  soci::transaction hold(blocker);
  blocker << "LOCK TABLE consumer_offsets IN EXCLUSIVE MODE";
  auto processors = start_processors();
  ASSERT_TRUE(database_.wait_until_blocked_on("consumer_offsets")) << processors->log();
  processors->signal(SIGKILL);
  ASSERT_EQ(processors->wait(10s), 128 + SIGKILL);
  hold.rollback();
  EXPECT_EQ(database_.count("SELECT count(*) FROM incidents"), 0);
  EXPECT_EQ(database_.count("SELECT count(*) FROM outbox"), 0);
  EXPECT_TRUE(read_topic(broker_.bootstrap(), topics::kIncident, 1, 2s).empty());

  auto restarted = start_processors();
  EXPECT_EQ(
      database_.wait_for_count("SELECT count(*) FROM outbox WHERE published_at IS NOT NULL", 1), 1)
      << restarted->log();
  std::this_thread::sleep_for(1s);
  EXPECT_EQ(database_.count("SELECT count(*) FROM incidents"), 1);
  EXPECT_EQ(incident_events(2), (std::vector<std::string>{"opened"}));
}

}  // namespace
}  // namespace faultline::testing
