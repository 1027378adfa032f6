#include "processors/retention.hpp"

#include "common/log.hpp"

namespace faultline::processors {
namespace {

// The rows are found through the BRIN index on kafka_timestamp and deleted by
// their physical address, a batch per transaction.
constexpr const char* kPruneBatch =
    "DELETE FROM applied_events WHERE ctid = ANY (ARRAY("
    " SELECT ctid FROM applied_events"
    " WHERE kafka_timestamp < now() - make_interval(secs => :keep) LIMIT :batch))";

}  // namespace

Retention::Retention(Database& database, std::chrono::seconds keep, metrics::Registry& registry)
    : database_(database),
      keep_(keep),
      pruned_(registry.counter("faultline_processor_applied_events_pruned_total",
                               "applied_events rows deleted after the retention")) {}

std::int64_t Retention::prune(const StopSignal& stop, std::size_t batch) {
  const double keep = static_cast<double>(keep_.count());
  const long long limit = static_cast<long long>(batch);
  std::int64_t total = 0;
  while (!stop.stop_requested()) {
    const auto deleted = database_.with_session([&](soci::session& sql) {
      soci::statement delete_batch =
          (sql.prepare << kPruneBatch, soci::use(keep, "keep"), soci::use(limit, "batch"));
      delete_batch.execute(true);
      return delete_batch.get_affected_rows();
    });
    total += deleted;
    pruned_.increment(static_cast<std::uint64_t>(deleted));
    if (deleted < limit)
      break;
  }
  return total;
}

void Retention::run(const StopSignal& stop, std::chrono::milliseconds interval) {
  repeat_until_stopped(
      stop, interval,
      [this, &stop] {
        if (const auto pruned = prune(stop); pruned > 0)
          log::info("applied events past the retention deleted", {{"rows", pruned}});
      },
      "pruning applied events failed; retrying later");
}

}  // namespace faultline::processors
