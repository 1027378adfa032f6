#include "common/problem.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/json.hpp"

namespace faultline {
namespace {

TEST(Problem, ToJsonHasEveryField) {
  const Problem p{422,
                  "Unprocessable Content",
                  "The key was used with another body.",
                  "idempotency-mismatch",
                  {{"key", "abc"}}};
  const auto d = json::parse(p.to_json());
  ASSERT_TRUE(d.IsObject());
  EXPECT_EQ(json::string_member(d, "type"), "urn:faultline:problem:idempotency-mismatch");
  EXPECT_EQ(json::string_member(d, "title"), "Unprocessable Content");
  EXPECT_EQ(json::integer_member(d, "status"), 422);
  EXPECT_EQ(json::string_member(d, "detail"), "The key was used with another body.");
  EXPECT_EQ(json::string_member(d, "key"), "abc");
  EXPECT_EQ(d.MemberCount(), 5u);
}

TEST(Problem, EmptyKindIsAboutBlank) {
  const Problem p{404, "Not Found", "No such thing.", "", {}};
  const auto d = json::parse(p.to_json());
  EXPECT_EQ(json::string_member(d, "type"), "about:blank");
}

TEST(Problem, EmptyDetailIsLeftOut) {
  const Problem p{500, "Internal Server Error", "", "internal", {}};
  const auto d = json::parse(p.to_json());
  EXPECT_FALSE(d.HasMember("detail"));
  EXPECT_EQ(json::integer_member(d, "status"), 500);
}

TEST(Problem, TextIsEscaped) {
  const Problem p{400, "Bad \"Request\"", "line one\nline \\two\"", "bad-request", {}};
  const auto text = p.to_json();
  EXPECT_EQ(text.find('\n'), std::string::npos);
  const auto d = json::parse(text);
  EXPECT_EQ(json::string_member(d, "title"), "Bad \"Request\"");
  EXPECT_EQ(json::string_member(d, "detail"), "line one\nline \\two\"");
}

TEST(Problem, Helpers) {
  const auto bad = bad_request("Missing field.");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.detail, "Missing field.");
  EXPECT_EQ(bad.kind, "bad-request");
  EXPECT_EQ(bad_request("x", "invalid-json").kind, "invalid-json");

  const auto missing = not_found("No run 5.");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.detail, "No run 5.");

  const auto internal = internal_error();
  EXPECT_EQ(internal.status, 500);
  EXPECT_FALSE(internal.detail.empty());
  EXPECT_EQ(internal.detail.find("std::"), std::string::npos);
}

TEST(Problem, ClientErrorCarriesItsProblem) {
  try {
    throw ClientError(bad_request("The page_size must be positive.", "invalid-query"));
  } catch (const ClientError& e) {
    EXPECT_STREQ(e.what(), "The page_size must be positive.");
    EXPECT_EQ(e.problem().status, 400);
    EXPECT_EQ(e.problem().kind, "invalid-query");
  }
}

TEST(Problem, ContentType) {
  EXPECT_STREQ(kProblemContentType, "application/problem+json");
}

}  // namespace
}  // namespace faultline
