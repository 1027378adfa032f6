#pragma once

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/kafka.hpp"
#include "common/soci.hpp"

namespace faultline::processors {

// Another consumer moved a partition's offset since we read it: the partition
// was reassigned while we worked, and our batch must not commit.
class LostOwnership : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A consumer group's offsets, kept in PostgreSQL beside the state they
// produced (table consumer_offsets).
class OffsetStore {
 public:
  explicit OffsetStore(std::string group_id) : group_id_(std::move(group_id)) {}

  const std::string& group_id() const { return group_id_; }

  // The next offset to read for each partition that has one stored.
  std::map<kafka::TopicPartition, std::int64_t> load(
      soci::session& sql, const std::vector<kafka::TopicPartition>& partitions) const;

  // Inside the caller's transaction: moves each partition from the offset we
  // last read (`expected`, absent if none was stored) to `next`. Throws
  // LostOwnership if any partition is no longer where we left it.
  void advance(soci::session& sql, const std::map<kafka::TopicPartition, std::int64_t>& expected,
               const std::map<kafka::TopicPartition, std::int64_t>& next) const;

 private:
  std::string group_id_;
};

}  // namespace faultline::processors
