#include "common/trace_context.hpp"

#include <algorithm>
#include <utility>

#include "common/crypto.hpp"

namespace faultline::trace {
namespace {

// The spec bounds tracestate at 32 members of up to 256 characters; longer
// or unprintable values are dropped rather than passed on.
constexpr std::size_t kMaxTracestate = 512;

thread_local std::optional<Context> current_context;

bool lower_hex(std::string_view text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool all_zero(std::string_view text) {
  return text.find_first_not_of('0') == std::string_view::npos;
}

std::string random_hex(std::size_t bytes) {
  std::string id;
  do {
    const std::string raw = crypto::random_bytes(bytes);
    id = crypto::to_hex(reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
  } while (all_zero(id));  // an all-zero id is invalid
  return id;
}

bool acceptable_tracestate(std::string_view text) {
  return text.size() <= kMaxTracestate &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

}  // namespace

std::string Context::traceparent() const {
  std::string header = "00-";
  header.append(trace_id).append("-").append(span_id).append("-").append(flags);
  return header;
}

std::optional<Parent> parse_traceparent(std::string_view header) {
  // version "-" trace-id "-" parent-id "-" flags: 2 + 1 + 32 + 1 + 16 + 1 + 2.
  constexpr std::size_t kLength = 55;
  if (header.size() < kLength)
    return std::nullopt;
  const auto version = header.substr(0, 2);
  if (!lower_hex(version) || version == "ff")
    return std::nullopt;
  // Version 00 is exactly 55 characters; a later one may add "-" and more.
  if (version == "00" ? header.size() != kLength
                      : header.size() > kLength && header[kLength] != '-')
    return std::nullopt;
  if (header[2] != '-' || header[35] != '-' || header[52] != '-')
    return std::nullopt;
  const auto trace_id = header.substr(3, 32);
  const auto span_id = header.substr(36, 16);
  const auto flags = header.substr(53, 2);
  if (!lower_hex(trace_id) || !lower_hex(span_id) || !lower_hex(flags) || all_zero(trace_id) ||
      all_zero(span_id))
    return std::nullopt;
  return Parent{std::string(trace_id), std::string(span_id), std::string(flags)};
}

Context start() {
  return Context{random_hex(16), random_hex(8), "", "01", ""};
}

Context continue_from(std::optional<std::string_view> traceparent,
                      std::optional<std::string_view> tracestate) {
  const auto parent = traceparent ? parse_traceparent(*traceparent) : std::nullopt;
  if (!parent)
    return start();
  Context context{parent->trace_id, random_hex(8), parent->span_id, parent->flags, ""};
  if (tracestate && acceptable_tracestate(*tracestate))
    context.tracestate = std::string(*tracestate);
  return context;
}

Context continue_from(const kafka::Message& message) {
  return continue_from(message.header("traceparent"), message.header("tracestate"));
}

void add_headers(const Context& context, std::vector<kafka::Header>& headers) {
  headers.push_back({"traceparent", context.traceparent()});
  if (!context.tracestate.empty())
    headers.push_back({"tracestate", context.tracestate});
}

Scope::Scope(Context context) : previous_(std::exchange(current_context, std::move(context))) {}

Scope::~Scope() {
  current_context = std::move(previous_);
}

const Context* current() {
  return current_context ? &*current_context : nullptr;
}

}  // namespace faultline::trace
