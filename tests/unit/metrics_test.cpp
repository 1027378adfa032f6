#include "common/metrics.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

namespace faultline {
namespace {

using metrics::Registry;

bool contains_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

TEST(Metrics, CounterRendersHelpTypeAndValue) {
  Registry registry;
  registry.counter("faultline_webhooks_total", "Webhooks received.").increment();
  registry.counter("faultline_webhooks_total", "Webhooks received.").increment(2);
  EXPECT_EQ(registry.render(),
            "# HELP faultline_webhooks_total Webhooks received.\n"
            "# TYPE faultline_webhooks_total counter\n"
            "faultline_webhooks_total 3\n");
}

TEST(Metrics, SameNameAndLabelsGiveTheSameCounter) {
  Registry registry;
  auto& a = registry.counter("requests_total", "Requests.", {{"status", "200"}});
  auto& b = registry.counter("requests_total", "Requests.", {{"status", "200"}});
  auto& c = registry.counter("requests_total", "Requests.", {{"status", "500"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &c);
  a.increment();
  b.increment();
  c.increment(5);
  EXPECT_EQ(a.value(), 2u);
  EXPECT_EQ(c.value(), 5u);
  const auto text = registry.render();
  EXPECT_TRUE(contains_line(text, R"(requests_total{status="200"} 2)")) << text;
  EXPECT_TRUE(contains_line(text, R"(requests_total{status="500"} 5)")) << text;
  // One HELP and TYPE per family, not per label set.
  EXPECT_EQ(text.find("# TYPE requests_total"), text.rfind("# TYPE requests_total"));
}

TEST(Metrics, OneNameCannotHaveTwoTypes) {
  Registry registry;
  registry.counter("things", "Things.");
  EXPECT_THROW(registry.gauge("things", "Things."), std::logic_error);
  EXPECT_THROW(registry.histogram("things", "Things.", {1.0}), std::logic_error);
  EXPECT_NO_THROW(registry.counter("things", "Things.", {{"kind", "other"}}));
}

TEST(Metrics, LabelValuesAreEscaped) {
  EXPECT_EQ(metrics::format_labels({}), "");
  EXPECT_EQ(metrics::format_labels({{"a", "1"}, {"b", "2"}}), R"({a="1",b="2"})");
  EXPECT_EQ(metrics::format_labels({{"path", "say \"hi\"\\now\nthen"}}),
            R"({path="say \"hi\"\\now\nthen"})");

  Registry registry;
  registry.counter("escaped_total", "Escaping.", {{"v", "a\"b\\c\nd"}}).increment();
  const auto text = registry.render();
  EXPECT_TRUE(contains_line(text, R"(escaped_total{v="a\"b\\c\nd"} 1)")) << text;
}

TEST(Metrics, GaugeRenders) {
  Registry registry;
  auto& g = registry.gauge("in_flight", "Requests in flight.");
  g.set(3);
  g.add(1.5);
  g.add(-0.5);
  EXPECT_DOUBLE_EQ(g.value(), 4.0);
  const auto text = registry.render();
  EXPECT_TRUE(contains_line(text, "# TYPE in_flight gauge")) << text;
  EXPECT_TRUE(contains_line(text, "in_flight 4")) << text;
}

TEST(Metrics, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  auto& h = registry.histogram("latency_seconds", "Latency.", {1, 0.1, 10}, {{"route", "/x"}});
  for (double v : {0.05, 0.1, 0.5, 5.0, 50.0})
    h.observe(v);

  EXPECT_EQ(h.upper_bounds(), (std::vector<double>{0.1, 1, 10}));  // sorted
  const auto snap = h.snapshot();
  EXPECT_EQ(snap.cumulative, (std::vector<std::uint64_t>{2, 3, 4}));  // le is inclusive
  EXPECT_EQ(snap.count, 5u);
  EXPECT_DOUBLE_EQ(snap.sum, 55.65);

  // prometheus-cpp's TextSerializer writes _count and _sum before the buckets
  // (the format leaves the order within a series to the writer).
  const auto text = registry.render();
  EXPECT_EQ(text,
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_count{route=\"/x\"} 5\n"
            "latency_seconds_sum{route=\"/x\"} 55.65\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
            "latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
            "latency_seconds_bucket{route=\"/x\",le=\"10\"} 4\n"
            "latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 5\n");
}

TEST(Metrics, HistogramWithoutLabels) {
  Registry registry;
  registry.histogram("size_bytes", "Sizes.", {100}).observe(1000);
  const auto text = registry.render();
  EXPECT_TRUE(contains_line(text, R"(size_bytes_bucket{le="100"} 0)")) << text;
  EXPECT_TRUE(contains_line(text, R"(size_bytes_bucket{le="+Inf"} 1)")) << text;
  EXPECT_TRUE(contains_line(text, "size_bytes_sum 1000")) << text;
  EXPECT_TRUE(contains_line(text, "size_bytes_count 1")) << text;
}

TEST(Metrics, LatencyBucketsAscend) {
  const auto b = metrics::latency_buckets();
  ASSERT_FALSE(b.empty());
  EXPECT_TRUE(std::is_sorted(b.begin(), b.end()));
  EXPECT_DOUBLE_EQ(b.front(), 0.0005);
  EXPECT_DOUBLE_EQ(b.back(), 10);
}

TEST(Metrics, FamiliesRenderByNameAndSeriesByLabels) {
  Registry registry;
  registry.gauge("zeta", "Z.").set(1);
  registry.counter("alpha_total", "A.", {{"status", "500"}}).increment();
  registry.counter("alpha_total", "A.", {{"status", "200"}}).increment(7);
  EXPECT_EQ(registry.render(),
            "# HELP alpha_total A.\n"
            "# TYPE alpha_total counter\n"
            "alpha_total{status=\"200\"} 7\n"
            "alpha_total{status=\"500\"} 1\n"
            "# HELP zeta Z.\n"
            "# TYPE zeta gauge\n"
            "zeta 1\n");
}

TEST(Metrics, EveryRenderedLineEndsWithNewline) {
  Registry registry;
  registry.counter("a_total", "A.").increment();
  registry.gauge("b", "B.").set(1);
  const auto text = registry.render();
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  EXPECT_EQ(text.find("\n\n"), std::string::npos);
}

}  // namespace
}  // namespace faultline
