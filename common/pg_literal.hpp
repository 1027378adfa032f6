#pragma once

// How Faultline writes values for PostgreSQL to parse: array literals for
// `= ANY(:ids::bigint[])` or text[] columns, and JSON record sets for
// `jsonb_to_recordset(:rows::jsonb)`. The text is always sent as a bound
// parameter, never spliced into a statement.

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/json.hpp"

namespace faultline::pg {

// A PostgreSQL array literal: {"a","b \"c\""}. Every element is quoted, so
// commas, braces, spaces and the word NULL are plain text; `"` and `\` are
// escaped with `\`; other bytes (UTF-8 included) are kept as they are. An
// empty list is {}.
std::string array_literal(const std::vector<std::string>& items);
// The same, nullopt written as an unquoted NULL element.
std::string array_literal(const std::vector<std::optional<std::string>>& items);

// An array of integers: {1,-2,3}, for bigint[] or int[].
template <std::integral Integer>
std::string array_literal(const std::vector<Integer>& items) {
  std::string out = "{";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i)
      out += ',';
    out += std::to_string(items[i]);
  }
  return out + '}';
}

// Rows for jsonb_to_recordset: a JSON array holding one object per row, whose
// keys are the column names of the statement's AS x(...) list.
class RecordSet {
 public:
  // One row being written; absent values are JSON null (SQL NULL).
  class Row {
   public:
    explicit Row(json::Writer& out) : out_(out) {}
    void text(const char* column, std::string_view value);
    void text(const char* column, const std::string& value) {
      text(column, std::string_view(value));
    }
    void text(const char* column, const std::optional<std::string>& value);
    void number(const char* column, const std::optional<std::int64_t>& value);
    void boolean(const char* column, bool value);
    // A jsonb column: the value is written by `write` (an array, an object).
    template <typename Write>
    void json(const char* column, Write&& write) {
      out_.Key(column);
      write(out_);
    }

   private:
    json::Writer& out_;
  };

  RecordSet();
  RecordSet(const RecordSet&) = delete;
  RecordSet& operator=(const RecordSet&) = delete;

  // Appends one row, its columns written by `build(Row&)`.
  template <typename Build>
  void add(Build&& build) {
    out_.StartObject();
    Row row(out_);
    build(row);
    out_.EndObject();
    ++size_;
  }

  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  // The JSON text; call once, after the last add().
  std::string finish();

 private:
  rapidjson::StringBuffer buffer_;
  json::Writer out_;
  std::size_t size_ = 0;
};

}  // namespace faultline::pg
