#include "common/pg_literal.hpp"

namespace faultline::pg {
namespace {

void append_quoted(std::string& out, std::string_view item) {
  out += '"';
  for (const char c : item) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += c;
  }
  out += '"';
}

}  // namespace

std::string array_literal(const std::vector<std::string>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i)
      out += ',';
    append_quoted(out, items[i]);
  }
  return out + '}';
}

std::string array_literal(const std::vector<std::optional<std::string>>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i)
      out += ',';
    if (items[i])
      append_quoted(out, *items[i]);
    else
      out += "NULL";
  }
  return out + '}';
}

void RecordSet::Row::text(const char* column, std::string_view value) {
  out_.Key(column);
  json::write(out_, value);
}

void RecordSet::Row::text(const char* column, const std::optional<std::string>& value) {
  out_.Key(column);
  if (value)
    json::write(out_, *value);
  else
    out_.Null();
}

void RecordSet::Row::number(const char* column, const std::optional<std::int64_t>& value) {
  out_.Key(column);
  json::write(out_, value);
}

void RecordSet::Row::boolean(const char* column, bool value) {
  out_.Key(column);
  out_.Bool(value);
}

RecordSet::RecordSet() : out_(buffer_) {
  out_.StartArray();
}

std::string RecordSet::finish() {
  out_.EndArray();
  return std::string(buffer_.GetString(), buffer_.GetSize());
}

}  // namespace faultline::pg
