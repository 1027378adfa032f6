#include "common/json.hpp"

#include <rapidjson/error/en.h>

#include "common/utf8.hpp"

namespace faultline::json {
namespace {

// RapidJSON 1.1 turns a lone low-surrogate escape ("\udc00") into the bytes
// of a surrogate code point, which are not UTF-8: checked here, so nothing
// parsed can be written back out as text no reader (or PostgreSQL) accepts.
bool strings_valid(const Value& value) {
  if (value.IsString())
    return utf8::valid({value.GetString(), value.GetStringLength()});
  if (value.IsArray()) {
    for (const auto& item : value.GetArray())
      if (!strings_valid(item))
        return false;
  } else if (value.IsObject()) {
    for (const auto& member : value.GetObject())
      if (!strings_valid(member.name) || !strings_valid(member.value))
        return false;
  }
  return true;
}

}  // namespace

Document parse(std::string_view text) {
  Document document;
  // Valid UTF-8 only: PostgreSQL would refuse anything else later, less clearly.
  document.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (document.HasParseError())
    throw ParseError(std::string("invalid JSON at byte ") +
                     std::to_string(document.GetErrorOffset()) + ": " +
                     rapidjson::GetParseError_En(document.GetParseError()));
  // Only a \u escape can smuggle a surrogate in; most bodies have none.
  if (text.find("\\u") != std::string_view::npos && !strings_valid(document))
    throw ParseError("invalid JSON: a \\u escape names a lone surrogate");
  return document;
}

const Value* member(const Value& object, const char* key) {
  if (!object.IsObject())
    return nullptr;
  const auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

const Value& member_or_null(const Value& object, const char* key) {
  static const Value null;
  const Value* found = member(object, key);
  return found ? *found : null;
}

const Value* object_member(const Value& object, const char* key) {
  const Value* found = member(object, key);
  return found && found->IsObject() ? found : nullptr;
}

std::optional<std::string_view> string_member(const Value& object, const char* key) {
  const Value* found = member(object, key);
  if (!found || !found->IsString())
    return std::nullopt;
  return std::string_view(found->GetString(), found->GetStringLength());
}

std::optional<std::int64_t> integer_member(const Value& object, const char* key) {
  const Value* found = member(object, key);
  if (!found || !found->IsInt64())
    return std::nullopt;
  return found->GetInt64();
}

std::string serialize(const Value& value) {
  rapidjson::StringBuffer buffer;
  Writer out(buffer);
  value.Accept(out);
  return std::string(buffer.GetString(), buffer.GetSize());
}

void write(Writer& out, std::string_view text) {
  out.String(text.data(), static_cast<rapidjson::SizeType>(text.size()));
}

void write(Writer& out, const std::string& text) {
  write(out, std::string_view(text));
}

void write(Writer& out, const char* text) {
  write(out, std::string_view(text));
}

void write(Writer& out, const std::optional<std::string_view>& text) {
  if (text)
    write(out, *text);
  else
    out.Null();
}

void write(Writer& out, const std::optional<std::int64_t>& number) {
  if (number)
    out.Int64(*number);
  else
    out.Null();
}

}  // namespace faultline::json
