#pragma once

// CloudEvents 1.0, Kafka protocol binding, binary content mode: the event's
// attributes travel as ce_* headers, its data as the message value.

#include <optional>
#include <string>
#include <vector>

#include "common/kafka.hpp"

namespace faultline {

struct CloudEvent {
  std::string id;
  std::string source;
  std::string type;
  std::string time;  // RFC 3339, UTC
  std::string content_type = "application/json";
};

std::vector<kafka::Header> to_headers(const CloudEvent& event);

// The event described by `headers`, or nothing when a required attribute is
// missing, empty, or the spec version is not 1.0.
std::optional<CloudEvent> from_headers(const std::vector<kafka::Header>& headers);

}  // namespace faultline
