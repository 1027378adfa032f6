#include "common/json.hpp"

#include <gtest/gtest.h>

#include <string>

namespace faultline {
namespace {

TEST(Json, ParsesAnObject) {
  const auto d = json::parse(R"({"a":1,"b":"two","c":{"d":true},"e":null})");
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(d["a"].GetInt(), 1);
  EXPECT_STREQ(d["b"].GetString(), "two");
}

TEST(Json, ParsesOnlyTheGivenLength) {
  const std::string text = R"({"a":1}garbage)";
  const auto d = json::parse(std::string_view(text).substr(0, 7));
  EXPECT_EQ(d["a"].GetInt(), 1);
}

TEST(Json, RejectsInvalidDocuments) {
  for (const char* bad : {"", "{", "{\"a\":}", "[1,2", "{} {}", "nul", "{'a':1}", "{\"a\":1,}"})
    EXPECT_THROW(json::parse(bad), json::ParseError) << bad;
}

TEST(Json, ParseErrorSaysWhereAndNeverEchoesTheInput) {
  try {
    json::parse(R"({"password": hunter2})");
    FAIL() << "expected a ParseError";
  } catch (const json::ParseError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("byte 13"), std::string::npos) << message;
    EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
    EXPECT_EQ(message.find("password"), std::string::npos) << message;
  }
}

TEST(Json, MemberAccessors) {
  const auto d = json::parse(
      R"({"s":"text","i":42,"big":9007199254740993,"f":1.5,"o":{"x":1},"n":null,"b":true,"neg":-7})");
  EXPECT_NE(json::member(d, "s"), nullptr);
  EXPECT_EQ(json::member(d, "missing"), nullptr);
  EXPECT_EQ(json::member(d["s"], "s"), nullptr);  // not an object

  EXPECT_TRUE(json::member_or_null(d, "missing").IsNull());
  EXPECT_TRUE(json::member_or_null(d["i"], "x").IsNull());
  EXPECT_EQ(json::member_or_null(d, "i").GetInt(), 42);

  EXPECT_NE(json::object_member(d, "o"), nullptr);
  EXPECT_EQ(json::object_member(d, "s"), nullptr);
  EXPECT_EQ(json::object_member(d, "n"), nullptr);
  EXPECT_EQ(json::object_member(d, "missing"), nullptr);

  EXPECT_EQ(json::string_member(d, "s"), "text");
  EXPECT_EQ(json::string_member(d, "i"), std::nullopt);
  EXPECT_EQ(json::string_member(d, "n"), std::nullopt);
  EXPECT_EQ(json::string_member(d, "missing"), std::nullopt);

  EXPECT_EQ(json::integer_member(d, "i"), 42);
  EXPECT_EQ(json::integer_member(d, "neg"), -7);
  EXPECT_EQ(json::integer_member(d, "big"), 9007199254740993LL);  // beyond a double's precision
  EXPECT_EQ(json::integer_member(d, "f"), std::nullopt);
  EXPECT_EQ(json::integer_member(d, "s"), std::nullopt);
  EXPECT_EQ(json::integer_member(d, "b"), std::nullopt);
  EXPECT_EQ(json::integer_member(d, "missing"), std::nullopt);
}

TEST(Json, StringMemberKeepsEmbeddedNul) {
  const auto d = json::parse(R"({"s":"a\u0000b"})");
  const auto s = json::string_member(d, "s");
  ASSERT_TRUE(s);
  EXPECT_EQ(*s, std::string_view("a\0b", 3));
}

TEST(Json, SerializeRoundTrips) {
  const std::string text = R"({"a":[1,2,{"b":"c\"d\\e\n"}],"f":null,"g":-1.5,"h":false})";
  EXPECT_EQ(json::serialize(json::parse(text)), text);
}

TEST(Json, ObjectBuilderWritesEveryKind) {
  const std::string out = json::object([](json::Writer& w) {
    w.Key("s");
    json::write(w, std::string("quote\" backslash\\ newline\n"));
    w.Key("view");
    json::write(w, std::string_view("abc").substr(0, 2));
    w.Key("cstr");
    json::write(w, "c");
    w.Key("some");
    json::write(w, std::optional<std::string_view>("x"));
    w.Key("none");
    json::write(w, std::optional<std::string_view>());
    w.Key("n");
    json::write(w, std::optional<std::int64_t>(-9));
    w.Key("null_n");
    json::write(w, std::optional<std::int64_t>());
  });
  EXPECT_EQ(out, R"({"s":"quote\" backslash\\ newline\n","view":"ab","cstr":"c","some":"x",)"
                 R"("none":null,"n":-9,"null_n":null})");
  EXPECT_NO_THROW(json::parse(out));
}

}  // namespace
// Found by the webhook fuzzer: RapidJSON took a lone low surrogate and ingest
// published text its consumers could not read.
TEST(Json, RefusesLoneSurrogateEscapes) {
  EXPECT_THROW(json::parse(R"({"name":"a\udddd"})"), json::ParseError);
  EXPECT_THROW(json::parse(R"({"a\udc00":1})"), json::ParseError);
  EXPECT_THROW(json::parse(R"(["x",{"deep":["\ud800"]}])"), json::ParseError);
  // Pairs, ordinary escapes, NUL and a literal backslash-u are fine.
  const auto pair = json::parse(R"({"e":"\ud83d\ude00","n":"\u0000x","t":"\\udddd"})");
  EXPECT_EQ(json::string_member(pair, "e"), "\xF0\x9F\x98\x80");
  EXPECT_EQ(json::string_member(pair, "n")->size(), 2u);
  EXPECT_EQ(json::string_member(pair, "t"), "\\udddd");
  // What is parsed can always be parsed again once written.
  EXPECT_NO_THROW(json::parse(json::serialize(pair)));
}

}  // namespace faultline
