#include "api/conditional.hpp"

#include <gtest/gtest.h>

#include "common/problem.hpp"

namespace faultline::api {
namespace {

ApiRequest with_header(const std::string& name, const std::string& value) {
  ApiRequest request;
  request.headers[name] = value;
  return request;
}

TEST(ConditionalTest, TagsAreStrongQuotedAndFollowTheBody) {
  const auto tag = etag_of(R"({"id":1})");
  EXPECT_EQ(tag.size(), 34u);
  EXPECT_EQ(tag.front(), '"');
  EXPECT_EQ(tag.back(), '"');
  EXPECT_EQ(tag, etag_of(R"({"id":1})"));
  EXPECT_NE(tag, etag_of(R"({"id":2})"));
}

TEST(ConditionalTest, IfNoneMatchComparesWeakly) {
  const auto tag = etag_of("x");
  EXPECT_TRUE(none_match_fails(with_header("if-none-match", tag), tag));
  EXPECT_TRUE(none_match_fails(with_header("if-none-match", "W/" + tag), tag));
  EXPECT_TRUE(none_match_fails(with_header("if-none-match", "\"a\", " + tag + " ,\"b\""), tag));
  EXPECT_TRUE(none_match_fails(with_header("if-none-match", "*"), tag));
  EXPECT_FALSE(none_match_fails(with_header("if-none-match", "\"a\""), tag));
  EXPECT_FALSE(none_match_fails(with_header("if-none-match", ""), tag));
  EXPECT_FALSE(none_match_fails(ApiRequest{}, tag));
}

TEST(ConditionalTest, IfMatchComparesStronglyAndFailsWith412) {
  const std::string body = R"({"id":1})";
  EXPECT_NO_THROW(require_if_match(ApiRequest{}, body));
  EXPECT_NO_THROW(require_if_match(with_header("if-match", etag_of(body)), body));
  EXPECT_NO_THROW(require_if_match(with_header("if-match", "*"), body));
  try {
    require_if_match(with_header("if-match", "W/" + etag_of(body)), body);
    FAIL() << "a weak tag matched If-Match";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.problem().status, 412);
  }
  EXPECT_THROW(require_if_match(with_header("if-match", "\"stale\""), body), ClientError);
}

}  // namespace
}  // namespace faultline::api
