#include "processors/outbox_relay.hpp"

#include <future>
#include <thread>
#include <vector>

#include "common/cloudevents.hpp"
#include "common/log.hpp"
#include "common/pg_literal.hpp"
#include "common/time.hpp"

namespace faultline::processors {
namespace {

// SKIP LOCKED lets several relays share the table without publishing a row twice at once.
constexpr const char* kPending =
    "SELECT id, topic, message_key, event_type, payload,"
    " " FAULTLINE_SQL_RFC3339_MS("created_at") ", COALESCE(traceparent, ''), COALESCE(tracestate, '')"
    " FROM outbox WHERE published_at IS NULL ORDER BY id LIMIT :limit FOR UPDATE SKIP LOCKED";

// The partial index on unpublished rows keeps this cheap however large the table grows.
constexpr const char* kBacklog =
    "SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8"
    " FROM outbox WHERE published_at IS NULL";

constexpr const char* kMarkPublished =
    "UPDATE outbox SET published_at = now() WHERE id = ANY(:ids::bigint[])";

struct OutboxRow {
  long long id;
  std::string topic, key, type, payload, created_at, traceparent, tracestate;
};

}  // namespace

OutboxRelay::OutboxRelay(Database& database, kafka::Producer& producer, metrics::Registry& registry)
    : database_(database),
      producer_(producer),
      published_(
          registry.counter("faultline_outbox_published_total", "Outbox events published to Kafka")),
      failures_(registry.counter("faultline_outbox_failures_total",
                                 "Outbox passes that could not publish")),
      backlog_(registry.gauge("faultline_outbox_backlog", "Outbox events not yet published")),
      oldest_seconds_(
          registry.gauge("faultline_outbox_oldest_seconds",
                         "Age of the oldest outbox event not yet published (0: none)")) {}

void OutboxRelay::measure_backlog() {
  database_.with_session([&](soci::session& sql) {
    long long rows = 0;
    double oldest = 0;
    sql << kBacklog, soci::into(rows), soci::into(oldest);
    backlog_.set(static_cast<double>(rows));
    oldest_seconds_.set(oldest);
  });
}

std::size_t OutboxRelay::publish_pending(std::size_t limit) {
  return database_.with_session([&](soci::session& sql) -> std::size_t {
    soci::transaction tx(sql);
    std::vector<OutboxRow> rows;
    const long long max_rows = static_cast<long long>(limit);
    soci::rowset<soci::row> result = (sql.prepare << kPending, soci::use(max_rows, "limit"));
    for (const auto& r : result)
      rows.push_back({r.get<long long>(0), r.get<std::string>(1), r.get<std::string>(2),
                      r.get<std::string>(3), r.get<std::string>(4), r.get<std::string>(5),
                      r.get<std::string>(6), r.get<std::string>(7)});
    if (rows.empty())
      return 0;

    std::vector<std::future<rd_kafka_resp_err_t>> verdicts;
    for (const auto& row : rows) {
      auto promise = std::make_shared<std::promise<rd_kafka_resp_err_t>>();
      verdicts.push_back(promise->get_future());
      CloudEvent event{"outbox-" + std::to_string(row.id), "/faultline/incidents",
                       "com.faultline.incident." + row.type, row.created_at};
      auto headers = to_headers(event);
      // The trace of the change travels on as its writer left it.
      if (!row.traceparent.empty())
        headers.push_back({"traceparent", row.traceparent});
      if (!row.tracestate.empty())
        headers.push_back({"tracestate", row.tracestate});
      producer_.produce({row.topic, row.key, row.payload, std::move(headers)},
                        [promise](rd_kafka_resp_err_t err) { promise->set_value(err); });
    }
    std::vector<long long> published;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (const auto err = verdicts[i].get())
        throw kafka::Error(std::string("outbox publish failed: ") + rd_kafka_err2str(err), err);
      published.push_back(rows[i].id);
    }
    const std::string ids = pg::array_literal(published);
    sql << kMarkPublished, soci::use(ids, "ids");
    tx.commit();
    published_.increment(rows.size());
    return rows.size();
  });
}

void OutboxRelay::run(const StopSignal& stop, std::chrono::milliseconds interval) {
  auto measured = std::chrono::steady_clock::time_point{};
  while (!stop.stop_requested()) {
    std::size_t published = 0;
    try {
      published = publish_pending();
    } catch (const std::exception& e) {
      failures_.increment();
      log::warn("outbox relay pass failed; will retry", {{"error", e.what()}});
    }
    // Measured apart from the pass: a broker that refuses every event must
    // still show the backlog growing.
    if (std::chrono::steady_clock::now() - measured >= std::chrono::seconds(1)) {
      measured = std::chrono::steady_clock::now();
      try {
        measure_backlog();
      } catch (const std::exception& e) {
        // The pass above has logged why the database is out of reach.
        log::debug("cannot measure the outbox backlog", {{"error", e.what()}});
      }
    }
    if (published == 0)
      stop.wait_for(interval);
  }
}

}  // namespace faultline::processors
