#include "api/json_body.hpp"

#include <gtest/gtest.h>

#include "common/problem.hpp"

namespace faultline::api {
namespace {

int status_of(const std::function<void()>& run) {
  try {
    run();
  } catch (const ClientError& e) {
    return e.problem().status;
  }
  return 0;
}

TEST(JsonBodyTest, TextMembersAreCheckedForTypeLengthAndControlCharacters) {
  const auto body = json::parse(
      R"({"ok":"héllo","empty":"","blank":" \t","number":1,"nul":"a\u0000b","bell":"\u0007","lines":"a\nb\tc"})");
  EXPECT_EQ(text_member(body, "ok", 1, 5), "héllo");  // five code points, six bytes
  EXPECT_EQ(status_of([&] { text_member(body, "ok", 1, 4); }), 422);
  EXPECT_EQ(text_member(body, "missing", 1, 5), std::nullopt);
  EXPECT_EQ(status_of([&] { required_text(body, "missing", 1, 5); }), 422);
  EXPECT_EQ(text_member(body, "empty", 0, 5), "");
  EXPECT_EQ(status_of([&] { text_member(body, "empty", 1, 5); }), 422);
  EXPECT_EQ(status_of([&] { text_member(body, "blank", 1, 5); }), 422);
  EXPECT_EQ(status_of([&] { text_member(body, "number", 0, 5); }), 422);
  EXPECT_EQ(status_of([&] { text_member(body, "nul", 0, 5); }), 422);
  EXPECT_EQ(status_of([&] { text_member(body, "bell", 0, 5); }), 422);
  EXPECT_EQ(text_member(body, "lines", 1, 5), "a\nb\tc");
}

TEST(JsonBodyTest, ChoicesAndChanges) {
  const char* const colours[] = {"red", "green", nullptr};
  const auto body = json::parse(R"({"colour":"green","bad":"blue","typed":3})");
  EXPECT_EQ(choice_member(body, "colour", colours), "green");
  EXPECT_EQ(choice_member(body, "none", colours), std::nullopt);
  EXPECT_EQ(status_of([&] { choice_member(body, "bad", colours); }), 422);
  EXPECT_EQ(status_of([&] { choice_member(body, "typed", colours); }), 422);
  EXPECT_EQ(status_of([&] { require_any_member(body, {"colour", "size"}); }), 0);
  EXPECT_EQ(status_of([&] { require_any_member(body, {"size"}); }), 422);
}

TEST(JsonBodyTest, BodiesMustBeOneJsonObjectOfValidUtf8) {
  ApiRequest request;
  request.headers["content-type"] = "application/json; charset=utf-8";
  request.body = R"({"a":1})";
  EXPECT_TRUE(json_body(request).IsObject());
  request.body = "[1]";
  EXPECT_EQ(status_of([&] { json_body(request); }), 400);
  request.body = "{\"a\":\"\xC3\x28\"}";  // invalid UTF-8
  EXPECT_EQ(status_of([&] { json_body(request); }), 400);
  request.headers["content-type"] = "text/plain";
  request.body = R"({"a":1})";
  EXPECT_EQ(status_of([&] { json_body(request); }), 415);
}

}  // namespace
}  // namespace faultline::api
