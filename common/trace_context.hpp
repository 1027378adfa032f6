#pragma once

// W3C Trace Context (https://www.w3.org/TR/trace-context/): the trace one
// delivery belongs to, carried from ingest through Kafka headers, the outbox
// and the processors to GitHub, so one trace_id finds every line about it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/kafka.hpp"

namespace faultline::trace {

struct Context {
  std::string trace_id;   // 32 lowercase hex digits, not all zero
  std::string span_id;    // 16 lowercase hex digits: the work this service does
  std::string parent_id;  // the caller's span; empty when the trace started here
  std::string flags = "01";
  std::string tracestate;  // passed on as received

  // "00-<trace_id>-<span_id>-<flags>": what the next hop continues.
  std::string traceparent() const;
};

// The caller's trace id, span id and flags, or nothing when `header` is not a
// valid traceparent (the spec's rules: version ff, wrong lengths, uppercase
// or non-hex digits, an all-zero id; a later version may append fields).
struct Parent {
  std::string trace_id, span_id, flags;
};
std::optional<Parent> parse_traceparent(std::string_view header);

// A new trace, sampled.
Context start();

// A new span of the caller's trace when `traceparent` is valid (its
// tracestate kept when short and printable); otherwise a new trace, as the
// spec asks, dropping the tracestate with it.
Context continue_from(std::optional<std::string_view> traceparent,
                      std::optional<std::string_view> tracestate);

// The same, from a consumed message's headers.
Context continue_from(const kafka::Message& message);

// The headers that carry `context` to the next hop, added to `headers`.
void add_headers(const Context& context, std::vector<kafka::Header>& headers);

// The trace the calling thread is working for while the scope lives (log
// lines and GitHub calls name it); the one before comes back when it ends.
class Scope {
 public:
  explicit Scope(Context context);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  std::optional<Context> previous_;
};

// The calling thread's trace, or null outside every scope.
const Context* current();

}  // namespace faultline::trace
