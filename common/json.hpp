#pragma once

// One place that knows how Faultline reads and writes JSON (RapidJSON).

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace faultline::json {

class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Value = rapidjson::Value;
using Document = rapidjson::Document;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Parses `text`; the error says where and why (never echoes the input).
Document parse(std::string_view text);

const Value* member(const Value& object, const char* key);
// The member, or a null value when absent (so readers can report it).
const Value& member_or_null(const Value& object, const char* key);
const Value* object_member(const Value& object, const char* key);
std::optional<std::string_view> string_member(const Value& object, const char* key);
std::optional<std::int64_t> integer_member(const Value& object, const char* key);

std::string serialize(const Value& value);

// Writes an optional string as a JSON string or null.
void write(Writer& out, const std::optional<std::string_view>& text);
void write(Writer& out, std::string_view text);
void write(Writer& out, const std::string& text);
void write(Writer& out, const char* text);
void write(Writer& out, const std::optional<std::int64_t>& number);

// Builds a JSON object into a string with a Writer, for small responses.
template <typename Build>
std::string object(Build&& build) {
  rapidjson::StringBuffer buffer;
  Writer out(buffer);
  out.StartObject();
  build(out);
  out.EndObject();
  return std::string(buffer.GetString(), buffer.GetSize());
}

// The same for a JSON array.
template <typename Build>
std::string array(Build&& build) {
  rapidjson::StringBuffer buffer;
  Writer out(buffer);
  out.StartArray();
  build(out);
  out.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace faultline::json
