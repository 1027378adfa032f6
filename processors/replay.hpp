#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/kafka.hpp"
#include "common/soci.hpp"

namespace faultline::processors {

struct Rewind {
  kafka::TopicPartition partition;
  std::int64_t from = 0;
  std::optional<std::int64_t> to;  // nothing: the beginning of the partition
  // Who placed `to`: "broker" (ListOffsets by timestamp), "applied_events"
  // (the offsets recorded with the state), or "" (nothing known at or after
  // the time, or a rewind to the beginning).
  std::string source;
};

// Asks the brokers for the first offset at or after a time (milliseconds).
using TimeLookup = std::function<std::map<kafka::TopicPartition, std::int64_t>(
    const std::vector<kafka::TopicPartition>&, std::int64_t)>;

// Forgets every stored offset of `group`: its consumers start each partition
// from the beginning at their next assignment or batch.
std::vector<Rewind> rewind_to_beginning(soci::session& sql, const std::string& group);

// Moves each stored offset of `group` back to the first message at or after
// `timestamp` (RFC 3339). The brokers are asked first; where they cannot say
// (the embedded broker has no offsets-for-times), the offsets recorded with
// the state in applied_events answer. Offsets only ever move back.
std::vector<Rewind> rewind_to_timestamp(soci::session& sql, const std::string& group,
                                        const std::string& timestamp, const TimeLookup& brokers);

}  // namespace faultline::processors
