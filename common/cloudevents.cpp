#include "common/cloudevents.hpp"

namespace faultline {

std::vector<kafka::Header> to_headers(const CloudEvent& event) {
  return {{"ce_specversion", "1.0"}, {"ce_id", event.id},     {"ce_source", event.source},
          {"ce_type", event.type},   {"ce_time", event.time}, {"content-type", event.content_type}};
}

std::optional<CloudEvent> from_headers(const std::vector<kafka::Header>& headers) {
  CloudEvent event;
  std::optional<std::string> version;
  for (const auto& [name, value] : headers) {
    if (name == "ce_specversion")
      version = value;
    else if (name == "ce_id")
      event.id = value;
    else if (name == "ce_source")
      event.source = value;
    else if (name == "ce_type")
      event.type = value;
    else if (name == "ce_time")
      event.time = value;
    else if (name == "content-type")
      event.content_type = value;
  }
  if (version != "1.0" || event.id.empty() || event.source.empty() || event.type.empty())
    return std::nullopt;
  return event;
}

}  // namespace faultline
