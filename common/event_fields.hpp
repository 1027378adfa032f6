#pragma once

// Reading and writing the fields of our events and of the payloads they come
// from, shared by GitHub's and GitLab's (common/events.hpp,
// common/gitlab_events.hpp). Fields names the object and the field in every
// EventError ("workflow_run.id: missing").

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/events.hpp"
#include "common/json.hpp"
#include "common/time.hpp"

namespace faultline::events {

class Fields {
 public:
  Fields(const json::Value* object, std::string path) : object_(object), path_(std::move(path)) {
    if (!object_ || !object_->IsObject())
      fail(path_, "missing or not an object");
  }

  std::int64_t integer(const char* key) const {
    const auto value = optional_integer(key);
    if (!value)
      fail(key, "missing");
    return *value;
  }

  OptionalNumber optional_integer(const char* key) const {
    const json::Value* v = json::member(*object_, key);
    if (!v || v->IsNull())
      return std::nullopt;
    if (!v->IsInt64())
      fail(key, "not an integer");
    return v->GetInt64();
  }

  std::int64_t positive(const char* key) const {
    const auto value = integer(key);
    if (value <= 0)
      fail(key, "must be positive");
    return value;
  }

  // Any JSON number (GitLab's job durations have fractions).
  std::optional<double> optional_real(const char* key) const {
    const json::Value* v = json::member(*object_, key);
    if (!v || v->IsNull())
      return std::nullopt;
    if (!v->IsNumber())
      fail(key, "not a number");
    return v->GetDouble();
  }

  // Absent or null reads as `fallback`.
  bool boolean(const char* key, bool fallback) const {
    const json::Value* v = json::member(*object_, key);
    if (!v || v->IsNull())
      return fallback;
    if (!v->IsBool())
      fail(key, "not a boolean");
    return v->GetBool();
  }

  std::string text(const char* key) const {
    auto value = optional_text(key);
    if (!value || value->empty())
      fail(key, "missing");
    return *value;
  }

  OptionalText optional_text(const char* key) const {
    const json::Value* v = json::member(*object_, key);
    if (!v || v->IsNull())
      return std::nullopt;
    if (!v->IsString())
      fail(key, "not a string");
    return std::string(v->GetString(), v->GetStringLength());
  }

  OptionalText timestamp(const char* key) const {
    auto value = optional_text(key);
    if (value && !is_rfc3339(*value))
      fail(key, "not an RFC 3339 timestamp");
    return value;
  }

  std::vector<std::string> strings(const char* key) const {
    std::vector<std::string> out;
    const json::Value* v = json::member(*object_, key);
    if (!v || v->IsNull())
      return out;
    if (!v->IsArray())
      fail(key, "not an array");
    for (const auto& item : v->GetArray()) {
      if (!item.IsString())
        fail(key, "holds a non-string");
      out.emplace_back(item.GetString(), item.GetStringLength());
    }
    return out;
  }

  [[noreturn]] void fail(const std::string& key, const std::string& why) const {
    throw EventError((key == path_ ? path_ : path_ + "." + key) + ": " + why);
  }

 private:
  const json::Value* object_;
  std::string path_;
};

// `"key":"value"`, or `"key":null`.
inline void write_text(json::Writer& out, const char* key, const OptionalText& value) {
  out.Key(key);
  if (value)
    json::write(out, *value);
  else
    out.Null();
}

// The envelope of GitHub's events (common/events.hpp), whichever the event:
// its fields written into an object being written, and read back.
void write_github_envelope(json::Writer& out, const Envelope& envelope);
Envelope read_github_envelope(const json::Value& root);

// One of our events, which is always a JSON object.
inline json::Document parse_object(std::string_view text) {
  try {
    auto document = json::parse(text);
    if (!document.IsObject())
      throw EventError("event: not a JSON object");
    return document;
  } catch (const json::ParseError& e) {
    throw EventError(std::string("event: ") + e.what());
  }
}

}  // namespace faultline::events
