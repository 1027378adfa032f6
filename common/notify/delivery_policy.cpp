#include "common/notify/delivery_policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace faultline::notify {

using std::chrono::milliseconds;
using std::chrono::seconds;

const char* to_string(Verdict verdict) {
  switch (verdict) {
    case Verdict::kSent:
      return "sent";
    case Verdict::kRetry:
      return "retry";
    case Verdict::kRateLimited:
      return "rate_limited";
    case Verdict::kRefused:
      return "refused";
    case Verdict::kGone:
      return "gone";
    case Verdict::kBlocked:
      return "blocked";
    case Verdict::kUnreachable:
      return "unreachable";
  }
  return "unknown";
}

Judgement judge(ChannelKind kind, const http_exchange::Response& response) {
  if (response.address_refused)
    return {Verdict::kBlocked, std::nullopt};
  const long status = response.status;
  if (status == 0)
    return {Verdict::kUnreachable, std::nullopt};
  if (status >= 200 && status < 300)
    return {Verdict::kSent, std::nullopt};
  if (status == 429)
    return {Verdict::kRateLimited, http_exchange::retry_after(response)};
  if (status == 410)
    return {Verdict::kGone, std::nullopt};
  if (kind == ChannelKind::kSlack && (status == 403 || status == 404))
    return {Verdict::kGone, std::nullopt};
  if (kind != ChannelKind::kWebhook && status == 400)
    return {Verdict::kRefused, std::nullopt};
  return {Verdict::kRetry, http_exchange::retry_after(response)};
}

std::optional<milliseconds> retry_delay(int failures, std::mt19937_64& random) {
  if (failures >= kMaxFailures)
    return std::nullopt;
  static constexpr std::array<milliseconds, 4> kFirst{
      seconds(5), std::chrono::minutes(5), std::chrono::minutes(30), std::chrono::hours(2)};
  milliseconds base = kDay;
  if (failures <= 0)
    base = milliseconds(0);
  else if (failures <= static_cast<int>(kFirst.size()))
    base = kFirst[static_cast<std::size_t>(failures - 1)];
  else if (const int doublings = failures - static_cast<int>(kFirst.size()); doublings < 4)
    base = std::min(kDay, milliseconds(std::chrono::hours(2LL << doublings)));
  const auto spread = base.count() / 10;
  if (spread == 0)
    return base;
  // At the cap the jitter only shortens: never more than a day.
  std::uniform_int_distribution<long long> jitter(-spread, base == kDay ? 0 : spread);
  return milliseconds(base.count() + jitter(random));
}

milliseconds rate_limit_delay(const Judgement& judgement) {
  const milliseconds asked = judgement.retry_after.value_or(seconds(1));
  return std::clamp(asked, milliseconds(seconds(1)), kDay);
}

}  // namespace faultline::notify
