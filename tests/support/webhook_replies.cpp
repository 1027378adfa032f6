#include "tests/support/webhook_replies.hpp"

#include <gtest/gtest.h>

#include <variant>

#include "common/json.hpp"

namespace faultline::testing {

http::Reply reply_of(const ingest::WebhookOutcome& outcome) {
  if (const auto* reply = std::get_if<http::Reply>(&outcome))
    return *reply;
  ADD_FAILURE() << "expected a reply, got a message to publish";
  return http::Reply{-1, "", "", {}};
}

std::string problem_detail(const http::Reply& reply, int status) {
  EXPECT_EQ(reply.status, status);
  EXPECT_EQ(reply.content_type, kProblemContentType);
  EXPECT_EQ(reply.content_type, "application/problem+json");
  json::Document body;
  try {
    body = json::parse(reply.body);
  } catch (const json::ParseError& e) {
    ADD_FAILURE() << "problem body is not JSON: " << reply.body;
    return {};
  }
  EXPECT_TRUE(body.IsObject());
  EXPECT_EQ(json::integer_member(body, "status"), status) << reply.body;
  EXPECT_TRUE(json::string_member(body, "title").has_value()) << reply.body;
  EXPECT_TRUE(json::string_member(body, "type").has_value()) << reply.body;
  const auto detail = json::string_member(body, "detail");
  EXPECT_TRUE(detail.has_value()) << reply.body;
  std::string text(detail.value_or(""));
  for (const char* leak : {"std::", "what()", "basic_string", "exception", "terminate", "0x"})
    EXPECT_EQ(text.find(leak), std::string::npos) << "detail leaks '" << leak << "': " << text;
  return text;
}

std::string problem_type(const http::Reply& reply) {
  try {
    const auto body = json::parse(reply.body);
    return std::string(json::string_member(body, "type").value_or(""));
  } catch (const json::ParseError&) {
    ADD_FAILURE() << "problem body is not JSON: " << reply.body;
    return {};
  }
}

}  // namespace faultline::testing
