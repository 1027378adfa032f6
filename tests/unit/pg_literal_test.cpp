#include "common/pg_literal.hpp"

#include <gtest/gtest.h>

namespace faultline::pg {
namespace {

TEST(PgArrayLiteral, EmptyListIsEmptyBraces) {
  EXPECT_EQ(array_literal(std::vector<std::string>{}), "{}");
  EXPECT_EQ(array_literal(std::vector<std::optional<std::string>>{}), "{}");
  EXPECT_EQ(array_literal(std::vector<long long>{}), "{}");
}

TEST(PgArrayLiteral, QuotesEveryElement) {
  EXPECT_EQ(array_literal(std::vector<std::string>{"a", "b c", "x,y", "{z}", ""}),
            R"({"a","b c","x,y","{z}",""})");
}

TEST(PgArrayLiteral, EscapesQuotesAndBackslashes) {
  EXPECT_EQ(array_literal(std::vector<std::string>{R"(say "hi")", R"(C:\dir\)"}),
            R"({"say \"hi\"","C:\\dir\\"})");
}

TEST(PgArrayLiteral, NullIsUnquotedAndTheWordNullIsText) {
  EXPECT_EQ(array_literal(std::vector<std::optional<std::string>>{std::nullopt, "NULL", "a"}),
            R"({NULL,"NULL","a"})");
  EXPECT_EQ(array_literal(std::vector<std::string>{"NULL"}), R"({"NULL"})");
}

TEST(PgArrayLiteral, KeepsUnicodeAsItIs) {
  EXPECT_EQ(array_literal(std::vector<std::string>{"café", "雪", "🚀"}), "{\"café\",\"雪\",\"🚀\"}");
}

TEST(PgArrayLiteral, Integers) {
  EXPECT_EQ(array_literal(std::vector<long long>{1, -2, 9007199254740993LL}),
            "{1,-2,9007199254740993}");
  EXPECT_EQ(array_literal(std::vector<std::int64_t>{42}), "{42}");
  EXPECT_EQ(array_literal(std::vector<int>{7, 8}), "{7,8}");
}

TEST(PgRecordSet, EmptySetIsAnEmptyJsonArray) {
  RecordSet rows;
  EXPECT_TRUE(rows.empty());
  EXPECT_EQ(rows.finish(), "[]");
}

TEST(PgRecordSet, OneObjectPerRowWithNullsForAbsentValues) {
  RecordSet rows;
  rows.add([](RecordSet::Row& row) {
    row.number("id", 1);
    row.text("name", std::optional<std::string>{});
    row.number("n", std::nullopt);
    row.boolean("failing", true);
  });
  rows.add([](RecordSet::Row& row) {
    row.number("id", 2);
    row.text("name", std::string("b"));
    row.json("labels", [](json::Writer& out) {
      out.StartArray();
      json::write(out, "x");
      out.EndArray();
    });
  });
  EXPECT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows.finish(),
            R"([{"id":1,"name":null,"n":null,"failing":true},{"id":2,"name":"b","labels":["x"]}])");
}

TEST(PgRecordSet, EscapesTextAsJsonAndKeepsUnicode) {
  RecordSet rows;
  rows.add([](RecordSet::Row& row) { row.text("t", std::string_view("a\"b\\c\n雪")); });
  EXPECT_EQ(rows.finish(), "[{\"t\":\"a\\\"b\\\\c\\n雪\"}]");
}

}  // namespace
}  // namespace faultline::pg
