#include "common/metrics.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string_view>

namespace faultline::metrics {
namespace {

std::string escape_label_value(const std::string& value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

prometheus::Labels to_prometheus(const Labels& labels) {
  return prometheus::Labels(labels.begin(), labels.end());
}

}  // namespace

void Counter::increment(std::uint64_t by) {
  metric_->Increment(static_cast<double>(by));
}

std::uint64_t Counter::value() const {
  return static_cast<std::uint64_t>(std::llround(metric_->Value()));
}

void Gauge::set(double value) {
  metric_->Set(value);
}

void Gauge::add(double by) {
  metric_->Increment(by);
}

double Gauge::value() const {
  return metric_->Value();
}

void Histogram::observe(double value) {
  metric_->Observe(value);
}

Histogram::Snapshot Histogram::snapshot() const {
  const auto collected = metric_->Collect().histogram;
  Snapshot snap;
  // prometheus-cpp's last bucket is +Inf, which is the count.
  for (std::size_t i = 0; i < bounds_.size() && i < collected.bucket.size(); ++i)
    snap.cumulative.push_back(collected.bucket[i].cumulative_count);
  snap.count = collected.sample_count;
  snap.sum = collected.sample_sum;
  return snap;
}

std::vector<double> latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

std::string format_labels(const Labels& labels) {
  if (labels.empty())
    return {};
  std::string out = "{";
  for (std::size_t i = 0; i < labels.size(); ++i) {
    if (i)
      out += ",";
    out += labels[i].first + "=\"" + escape_label_value(labels[i].second) + "\"";
  }
  return out + "}";
}

Registry::Registry() : registry_(std::make_unique<prometheus::Registry>()) {}

Registry::~Registry() = default;

Registry::Family& Registry::family(const std::string& name, const std::string& help,
                                   const char* type) {
  auto [it, inserted] = families_.try_emplace(name);
  auto& fam = it->second;
  if (!inserted) {
    if (std::string_view(fam.type) != type)
      throw std::logic_error("metric " + name + " registered with two types");
    return fam;
  }
  // Registered with prometheus-cpp once per name, with the first help text.
  try {
    const std::string_view t(type);
    if (t == "counter")
      fam.counter_family = &prometheus::BuildCounter().Name(name).Help(help).Register(*registry_);
    else if (t == "gauge")
      fam.gauge_family = &prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
    else
      fam.histogram_family =
          &prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
  } catch (...) {
    families_.erase(it);
    throw;
  }
  fam.type = type;
  return fam;
}

Counter& Registry::counter(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& fam = family(name, help, "counter");
  auto& slot = fam.counters[format_labels(labels)];
  if (!slot)
    slot = std::make_unique<Counter>(fam.counter_family->Add(to_prometheus(labels)));
  return *slot;
}

Gauge& Registry::gauge(const std::string& name, const std::string& help, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& fam = family(name, help, "gauge");
  auto& slot = fam.gauges[format_labels(labels)];
  if (!slot)
    slot = std::make_unique<Gauge>(fam.gauge_family->Add(to_prometheus(labels)));
  return *slot;
}

Histogram& Registry::histogram(const std::string& name, const std::string& help,
                               std::vector<double> upper_bounds, const Labels& labels) {
  std::lock_guard lock(mutex_);
  auto& fam = family(name, help, "histogram");
  auto& slot = fam.histograms[format_labels(labels)];
  if (!slot) {
    std::sort(upper_bounds.begin(), upper_bounds.end());
    auto& metric = fam.histogram_family->Add(to_prometheus(labels), upper_bounds);
    slot = std::make_unique<Histogram>(metric, std::move(upper_bounds));
  }
  return *slot;
}

std::string Registry::render() const {
  auto collected = registry_->Collect();
  std::sort(collected.begin(), collected.end(),
            [](const auto& a, const auto& b) { return a.name < b.name; });
  for (auto& fam : collected)
    std::sort(fam.metric.begin(), fam.metric.end(),
              [](const auto& a, const auto& b) { return a.label < b.label; });
  return prometheus::TextSerializer().Serialize(collected);
}

}  // namespace faultline::metrics
