#include "processors/offset_store.hpp"

namespace faultline::processors {
namespace {

constexpr const char* kLoad =
    "SELECT next_offset FROM consumer_offsets WHERE group_id = :g AND topic = :t AND partition = "
    ":p";

// Compare-and-set: a zombie consumer that lost the partition matches nothing.
constexpr const char* kAdvance =
    "UPDATE consumer_offsets SET next_offset = :next, updated_at = now()"
    " WHERE group_id = :g AND topic = :t AND partition = :p AND next_offset = :expected";

constexpr const char* kFirst =
    "INSERT INTO consumer_offsets (group_id, topic, partition, next_offset)"
    " VALUES (:g, :t, :p, :next) ON CONFLICT DO NOTHING";

}  // namespace

std::map<kafka::TopicPartition, std::int64_t> OffsetStore::load(
    soci::session& sql, const std::vector<kafka::TopicPartition>& partitions) const {
  std::map<kafka::TopicPartition, std::int64_t> found;
  for (const auto& tp : partitions) {
    long long next = 0;
    soci::indicator ind = soci::i_null;
    sql << kLoad, soci::use(group_id_), soci::use(tp.topic), soci::use(tp.partition),
        soci::into(next, ind);
    if (sql.got_data() && ind == soci::i_ok)
      found[tp] = next;
  }
  return found;
}

void OffsetStore::advance(soci::session& sql,
                          const std::map<kafka::TopicPartition, std::int64_t>& expected,
                          const std::map<kafka::TopicPartition, std::int64_t>& next) const {
  for (const auto& [tp, offset] : next) {
    // SOCI binds by reference until execute(): keep every value in a named local.
    const long long next_offset = offset;
    const auto previous = expected.find(tp);
    const long long expected_offset = previous == expected.end() ? -1 : previous->second;
    soci::statement st =
        previous == expected.end()
            ? (sql.prepare << kFirst, soci::use(group_id_), soci::use(tp.topic),
               soci::use(tp.partition), soci::use(next_offset))
            : (sql.prepare << kAdvance, soci::use(next_offset), soci::use(group_id_),
               soci::use(tp.topic), soci::use(tp.partition), soci::use(expected_offset));
    st.execute(true);
    if (st.get_affected_rows() != 1)
      throw LostOwnership(tp.topic + "[" + std::to_string(tp.partition) +
                          "] was moved by another consumer");
  }
}

}  // namespace faultline::processors
