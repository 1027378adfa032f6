#include "tests/support/gitlab_hooks.hpp"

#include "common/json.hpp"
#include "ingest/gitlab_normalize.hpp"
#include "tests/support/examples.hpp"

namespace faultline::testing {
namespace {

void set_text(json::Value& value, const std::string& text, json::Document::AllocatorType& a) {
  value.SetString(text.c_str(), static_cast<rapidjson::SizeType>(text.size()), a);
}

}  // namespace

std::string pipeline_hook(std::int64_t pipeline, const std::string& status, const char* finished_at,
                          const char* name) {
  auto payload = json::parse(gitlab_example("pipeline"));
  auto& attributes = payload["object_attributes"];
  auto& a = payload.GetAllocator();
  attributes["id"].SetInt64(pipeline);
  set_text(attributes["status"], status, a);
  if (finished_at)
    attributes["finished_at"].SetString(finished_at, a);
  else
    attributes["finished_at"].SetNull();
  // The example predates the pipeline's url, which GitLab now sends.
  const std::string url = std::string(payload["project"]["web_url"].GetString()) + "/-/pipelines/" +
                          std::to_string(pipeline);
  attributes.AddMember("url", json::Value(url.c_str(), a), a);
  if (name)
    attributes.AddMember("name", json::Value(name, a), a);
  return json::serialize(payload);
}

std::string job_hook(std::int64_t job, std::int64_t pipeline, const std::string& status,
                     const char* failure_reason, const JobHookOptions& options) {
  auto payload = json::parse(gitlab_example("build"));
  auto& a = payload.GetAllocator();
  payload["build_id"].SetInt64(job);
  payload["pipeline_id"].SetInt64(pipeline);
  set_text(payload["build_status"], status, a);
  if (failure_reason)
    payload["build_failure_reason"].SetString(failure_reason, a);
  else
    payload["build_failure_reason"].SetNull();
  if (options.created_at)
    payload["build_created_at"].SetString(options.created_at, a);
  if (options.project)
    payload["project_id"].SetInt64(*options.project);
  return json::serialize(payload);
}

kafka::OutgoingMessage gitlab_message(const char* event, const std::string& delivery,
                                      const std::string& body) {
  const auto payload = json::parse(body);
  ingest::GitLabDelivery d{event, delivery, std::nullopt, "https://gitlab.com",
                           "2026-11-23T10:00:00Z"};
  return ingest::normalize_gitlab(d, payload);
}

}  // namespace faultline::testing
