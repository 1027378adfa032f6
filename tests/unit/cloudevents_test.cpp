#include "common/cloudevents.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

namespace faultline {
namespace {

CloudEvent sample() {
  CloudEvent e;
  e.id = "72d3162e-cc78-11e3-81ab-4c9367dc0958";
  e.source = "https://github.com/octo-org/octo-repo";
  e.type = "com.github.workflow_run.completed";
  e.time = "2026-11-23T10:00:00.000Z";
  return e;
}

std::vector<kafka::Header> without(std::vector<kafka::Header> headers, const std::string& name) {
  std::erase_if(headers, [&](const kafka::Header& h) { return h.name == name; });
  return headers;
}

std::vector<kafka::Header> with(std::vector<kafka::Header> headers, const std::string& name,
                                const std::string& value) {
  for (auto& h : headers)
    if (h.name == name)
      h.value = value;
  return headers;
}

TEST(CloudEvents, HeadersFollowTheKafkaBinding) {
  const auto headers = to_headers(sample());
  std::map<std::string, std::string> by_name;
  for (const auto& h : headers)
    EXPECT_TRUE(by_name.emplace(h.name, h.value).second) << h.name;
  EXPECT_EQ(by_name, (std::map<std::string, std::string>{
                         {"ce_specversion", "1.0"},
                         {"ce_id", "72d3162e-cc78-11e3-81ab-4c9367dc0958"},
                         {"ce_source", "https://github.com/octo-org/octo-repo"},
                         {"ce_type", "com.github.workflow_run.completed"},
                         {"ce_time", "2026-11-23T10:00:00.000Z"},
                         {"content-type", "application/json"},
                     }));
}

TEST(CloudEvents, RoundTrips) {
  const auto event = from_headers(to_headers(sample()));
  ASSERT_TRUE(event);
  EXPECT_EQ(event->id, sample().id);
  EXPECT_EQ(event->source, sample().source);
  EXPECT_EQ(event->type, sample().type);
  EXPECT_EQ(event->time, sample().time);
  EXPECT_EQ(event->content_type, "application/json");
}

TEST(CloudEvents, IgnoresOtherHeadersAndDefaultsContentType) {
  auto headers = without(to_headers(sample()), "content-type");
  headers.push_back({"x-source-topic", "ci.workflow_run.v1"});
  const auto event = from_headers(headers);
  ASSERT_TRUE(event);
  EXPECT_EQ(event->content_type, "application/json");
  EXPECT_EQ(event->id, sample().id);
}

TEST(CloudEvents, MissingOrEmptyRequiredAttributeIsRejected) {
  const auto headers = to_headers(sample());
  for (const char* name : {"ce_id", "ce_source", "ce_type", "ce_specversion"}) {
    EXPECT_EQ(from_headers(without(headers, name)), std::nullopt) << "without " << name;
    EXPECT_EQ(from_headers(with(headers, name, "")), std::nullopt) << "empty " << name;
  }
  EXPECT_EQ(from_headers({}), std::nullopt);
}

TEST(CloudEvents, WrongSpecVersionIsRejected) {
  const auto headers = to_headers(sample());
  for (const char* version : {"0.3", "1", "1.0.1", "2.0"})
    EXPECT_EQ(from_headers(with(headers, "ce_specversion", version)), std::nullopt) << version;
}

}  // namespace
}  // namespace faultline
