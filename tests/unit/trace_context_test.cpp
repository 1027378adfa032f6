#include "common/trace_context.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/json.hpp"
#include "common/log.hpp"

namespace faultline {
namespace {

// The example of the W3C Trace Context specification.
constexpr const char* kTraceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(TraceContextTest, ParsesTheSpecificationsExample) {
  const auto parent = trace::parse_traceparent(kTraceparent);
  ASSERT_TRUE(parent);
  EXPECT_EQ(parent->trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(parent->span_id, "b7ad6b7169203331");
  EXPECT_EQ(parent->flags, "01");
}

TEST(TraceContextTest, ALaterVersionMayAppendFields) {
  EXPECT_TRUE(trace::parse_traceparent(
      "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-will-be-like"));
  EXPECT_TRUE(trace::parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-09"));
  // ...but only after a dash.
  EXPECT_FALSE(
      trace::parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01.more"));
}

TEST(TraceContextTest, RefusesWhatTheSpecificationRefuses) {
  for (const char* header : {
           "", "00",
           "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",      // version ff
           "0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",      // version not hex
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-",     // 00 is 55 long
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0",       // short
           "00-0AF7651916CD43DD8448EB211C80319C-B7AD6B7169203331-01",      // uppercase
           "00-00000000000000000000000000000000-b7ad6b7169203331-01",      // zero trace id
           "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",      // zero parent id
           "00_0af7651916cd43dd8448eb211c80319c_b7ad6b7169203331_01",      // delimiters
           "00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",      // not hex
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333z-01",      // not hex
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-zz",      // flags not hex
           "00-0af7651916cd43dd8448eb211c8031-b7ad6b7169203331-01-01-01",  // misaligned
       })
    EXPECT_FALSE(trace::parse_traceparent(header)) << header;
}

TEST(TraceContextTest, ContinuingKeepsTheTraceAndNamesTheCallerAsParent) {
  const auto context = trace::continue_from(kTraceparent, "vendor=opaque");
  EXPECT_EQ(context.trace_id, "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(context.parent_id, "b7ad6b7169203331");
  EXPECT_EQ(context.flags, "01");
  EXPECT_EQ(context.tracestate, "vendor=opaque");
  ASSERT_EQ(context.span_id.size(), 16U);
  EXPECT_NE(context.span_id, "b7ad6b7169203331");
  // The next hop sees this span as its parent.
  const auto next = trace::parse_traceparent(context.traceparent());
  ASSERT_TRUE(next) << context.traceparent();
  EXPECT_EQ(next->trace_id, context.trace_id);
  EXPECT_EQ(next->span_id, context.span_id);
}

TEST(TraceContextTest, ContinuingKeepsTheCallersSamplingDecision) {
  const auto context =
      trace::continue_from("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00", std::nullopt);
  EXPECT_EQ(context.flags, "00");
  EXPECT_EQ(context.traceparent().substr(53), "00");
}

TEST(TraceContextTest, AnInvalidOrMissingParentStartsANewTraceWithoutItsState) {
  for (const std::optional<std::string_view> header :
       {std::optional<std::string_view>(),
        std::optional<std::string_view>(
            "00-00000000000000000000000000000000-b7ad6b7169203331-01")}) {
    const auto context = trace::continue_from(header, "vendor=opaque");
    EXPECT_TRUE(context.parent_id.empty());
    EXPECT_TRUE(context.tracestate.empty());
    EXPECT_TRUE(trace::parse_traceparent(context.traceparent())) << context.traceparent();
  }
  EXPECT_NE(trace::start().trace_id, trace::start().trace_id);
}

TEST(TraceContextTest, AnOversizedOrUnprintableTracestateIsDropped) {
  EXPECT_TRUE(trace::continue_from(kTraceparent, std::string(513, 'a')).tracestate.empty());
  EXPECT_TRUE(trace::continue_from(kTraceparent, "a=b\nforged: line").tracestate.empty());
  EXPECT_EQ(trace::continue_from(kTraceparent, std::string(512, 'a')).tracestate.size(), 512U);
}

TEST(TraceContextTest, HeadersCarryTracestateOnlyWhenThereIsOne) {
  std::vector<kafka::Header> bare, full;
  trace::add_headers(trace::continue_from(kTraceparent, std::nullopt), bare);
  ASSERT_EQ(bare.size(), 1U);
  EXPECT_EQ(bare[0].name, "traceparent");
  trace::add_headers(trace::continue_from(kTraceparent, "v=1"), full);
  ASSERT_EQ(full.size(), 2U);
  EXPECT_EQ(full[1].name, "tracestate");
  EXPECT_EQ(full[1].value, "v=1");
}

TEST(TraceContextTest, AScopeNamesTheThreadsTraceAndGivesBackTheOneBefore) {
  EXPECT_EQ(trace::current(), nullptr);
  {
    const trace::Scope outer(trace::continue_from(kTraceparent, std::nullopt));
    ASSERT_NE(trace::current(), nullptr);
    const std::string outer_span = trace::current()->span_id;
    {
      const trace::Scope inner(trace::start());
      EXPECT_NE(trace::current()->trace_id, "0af7651916cd43dd8448eb211c80319c");
    }
    EXPECT_EQ(trace::current()->span_id, outer_span);
  }
  EXPECT_EQ(trace::current(), nullptr);
}

TEST(TraceContextTest, LogLinesInAScopeNameTheTraceAndSpan) {
  const auto outside = json::parse(log::format(log::Level::info, "outside", {}));
  EXPECT_FALSE(outside.HasMember("trace_id"));
  const trace::Scope traced(trace::continue_from(kTraceparent, std::nullopt));
  const auto inside = json::parse(log::format(log::Level::info, "inside", {{"k", "v"}}));
  EXPECT_EQ(json::string_member(inside, "trace_id"), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(json::string_member(inside, "span_id"), trace::current()->span_id);
  EXPECT_EQ(json::string_member(inside, "k"), "v");
}

}  // namespace
}  // namespace faultline
