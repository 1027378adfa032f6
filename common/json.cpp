#include "common/json.hpp"

#include <rapidjson/error/en.h>

namespace faultline::json {

Document parse(std::string_view text) {
  Document document;
  // Valid UTF-8 only: PostgreSQL would refuse anything else later, less clearly.
  document.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (document.HasParseError())
    throw ParseError(std::string("invalid JSON at byte ") +
                     std::to_string(document.GetErrorOffset()) + ": " +
                     rapidjson::GetParseError_En(document.GetParseError()));
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
