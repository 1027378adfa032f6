#include "api/api_request.hpp"

#include <gtest/gtest.h>

namespace faultline::api {
namespace {

TEST(ApiRequestTest, DecodesQueryComponents) {
  EXPECT_EQ(url_decode("a%2Fb+c"), "a/b c");
  EXPECT_FALSE(url_decode("%zz"));
  EXPECT_FALSE(url_decode("%4"));
}

TEST(ApiRequestTest, ParsesFormBodies) {
  const auto form = parse_form("grant_type=password&username=ada%40example.com&password=a+b&x=");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->at("grant_type"), "password");
  EXPECT_EQ(form->at("username"), "ada@example.com");
  EXPECT_EQ(form->at("password"), "a b");
  EXPECT_EQ(form->at("x"), "");
  EXPECT_TRUE(parse_form("")->empty());
  EXPECT_FALSE(parse_form("a=1&a=2"));  // RFC 6749 §3.2
  EXPECT_FALSE(parse_form("a=%zz"));
  EXPECT_FALSE(parse_form("=1"));
}

TEST(ApiRequestTest, OnlyProtectedRoutesHaveACaller) {
  ApiRequest request;
  EXPECT_THROW(request.user(), std::logic_error);
  request.principal = auth::Principal{1, "a@example.com", "user", "s"};
  EXPECT_EQ(request.user().user_id, 1);
  EXPECT_FALSE(request.user().admin());
}

}  // namespace
}  // namespace faultline::api
