#include "processors/replay.hpp"

#include <algorithm>

namespace faultline::processors {
namespace {

constexpr const char* kStored =
    "SELECT topic, partition, next_offset FROM consumer_offsets WHERE group_id = :g"
    " ORDER BY topic, partition";

constexpr const char* kForget = "DELETE FROM consumer_offsets WHERE group_id = :g";

constexpr const char* kEpochMillis = "SELECT (extract(epoch FROM :ts::timestamptz) * 1000)::bigint";

// Offsets are a property of the topic, so any group's record will do.
constexpr const char* kRecordedOffset =
    "SELECT min(\"offset\") FROM applied_events WHERE topic = :t AND partition = :p"
    " AND kafka_timestamp >= :ts::timestamptz";

constexpr const char* kMove =
    "UPDATE consumer_offsets SET next_offset = :o, updated_at = now()"
    " WHERE group_id = :g AND topic = :t AND partition = :p";

std::vector<Rewind> stored_offsets(soci::session& sql, const std::string& group) {
  std::vector<Rewind> out;
  soci::rowset<soci::row> rows = (sql.prepare << kStored, soci::use(group, "g"));
  for (const auto& r : rows)
    out.push_back({{r.get<std::string>(0), r.get<int>(1)}, r.get<long long>(2), std::nullopt, ""});
  return out;
}

}  // namespace

std::vector<Rewind> rewind_to_beginning(soci::session& sql, const std::string& group) {
  soci::transaction tx(sql);
  auto rewinds = stored_offsets(sql, group);
  sql << kForget, soci::use(group, "g");
  tx.commit();
  return rewinds;
}

std::vector<Rewind> rewind_to_timestamp(soci::session& sql, const std::string& group,
                                        const std::string& timestamp, const TimeLookup& brokers) {
  soci::transaction tx(sql);
  auto rewinds = stored_offsets(sql, group);
  long long millis = 0;
  sql << kEpochMillis, soci::use(timestamp, "ts"), soci::into(millis);

  std::vector<kafka::TopicPartition> partitions;
  for (const auto& r : rewinds)
    partitions.push_back(r.partition);
  const auto answered = brokers ? brokers(partitions, millis) : decltype(brokers(partitions, 0)){};

  for (auto& r : rewinds) {
    std::optional<std::int64_t> target;
    if (const auto found = answered.find(r.partition); found != answered.end()) {
      target = found->second;
      r.source = "broker";
    } else {
      long long recorded = 0;
      soci::indicator ind = soci::i_null;
      sql << kRecordedOffset, soci::use(r.partition.topic, "t"),
          soci::use(r.partition.partition, "p"), soci::use(timestamp, "ts"),
          soci::into(recorded, ind);
      if (ind == soci::i_ok) {
        target = recorded;
        r.source = "applied_events";
      }
    }
    // Nothing known at or after the time: the group has not gone past it.
    r.to = target ? std::min<std::int64_t>(*target, r.from) : r.from;
    const long long to = *r.to;
    sql << kMove, soci::use(to, "o"), soci::use(group, "g"), soci::use(r.partition.topic, "t"),
        soci::use(r.partition.partition, "p");
  }
  tx.commit();
  return rewinds;
}

}  // namespace faultline::processors
