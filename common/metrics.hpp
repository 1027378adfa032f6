#pragma once

// Faultline's metrics facade over prometheus-cpp (Debian's prometheus-cpp-dev,
// core only): the services ask for counters, gauges and histograms by name,
// help and labels; the registry renders the text exposition format (0.0.4)
// with prometheus::TextSerializer for our own /metrics endpoints.

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
template <typename T>
class Family;
}  // namespace prometheus

namespace faultline::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  explicit Counter(prometheus::Counter& metric) : metric_(&metric) {}
  void increment(std::uint64_t by = 1);
  std::uint64_t value() const;

 private:
  prometheus::Counter* metric_;
};

class Gauge {
 public:
  explicit Gauge(prometheus::Gauge& metric) : metric_(&metric) {}
  void set(double value);
  void add(double by);
  double value() const;

 private:
  prometheus::Gauge* metric_;
};

class Histogram {
 public:
  // `upper_bounds` sorted, as prometheus-cpp requires.
  Histogram(prometheus::Histogram& metric, std::vector<double> upper_bounds)
      : metric_(&metric), bounds_(std::move(upper_bounds)) {}
  void observe(double value);
  // Cumulative counts per bound, then the count and sum of all observations.
  struct Snapshot {
    std::vector<std::uint64_t> cumulative;
    std::uint64_t count = 0;
    double sum = 0;
  };
  Snapshot snapshot() const;
  const std::vector<double>& upper_bounds() const { return bounds_; }

 private:
  prometheus::Histogram* metric_;
  std::vector<double> bounds_;
};

// Latency buckets in seconds, from 0.5 ms to 10 s.
std::vector<double> latency_buckets();

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // The same name and labels always give back the same metric; callers on hot
  // paths keep the reference. A name keeps the help and type it was first
  // registered with; asking for it as another type throws std::logic_error.
  Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
  Gauge& gauge(const std::string& name, const std::string& help, const Labels& labels = {});
  Histogram& histogram(const std::string& name, const std::string& help,
                       std::vector<double> upper_bounds, const Labels& labels = {});

  // Families by name, and series by labels within each, so the text is stable.
  std::string render() const;

 private:
  // Our index over prometheus-cpp's families: one lookup under one lock per
  // call, keyed by the formatted labels, as before the library came in.
  struct Family {
    const char* type = nullptr;
    prometheus::Family<prometheus::Counter>* counter_family = nullptr;
    prometheus::Family<prometheus::Gauge>* gauge_family = nullptr;
    prometheus::Family<prometheus::Histogram>* histogram_family = nullptr;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& family(const std::string& name, const std::string& help, const char* type);

  std::unique_ptr<prometheus::Registry> registry_;
  mutable std::mutex mutex_;
  std::map<std::string, Family, std::less<>> families_;
};

// `{a="1",b="2"}` with values escaped; empty for no labels.
std::string format_labels(const Labels& labels);

}  // namespace faultline::metrics
