#include "common/time.hpp"

#include <chrono>
#include <cstdio>
#include <ctime>

namespace faultline {
namespace {

// "2026-11-23T10:15:30": the date and time of `seconds`, in UTC.
std::string utc_date_time(std::time_t seconds) {
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char out[80];
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec);
  return out;
}

}  // namespace

std::int64_t epoch_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string utc_now_rfc3339() {
  const auto now = std::chrono::system_clock::now();
  const int millis = static_cast<int>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, ".%03dZ", millis);
  return utc_date_time(std::chrono::system_clock::to_time_t(now)) + fraction;
}

namespace {

bool digits(std::string_view text, std::size_t at, std::size_t count) {
  if (at + count > text.size())
    return false;
  for (std::size_t i = at; i < at + count; ++i)
    if (text[i] < '0' || text[i] > '9')
      return false;
  return true;
}

int number(std::string_view text, std::size_t at, std::size_t count) {
  int n = 0;
  for (std::size_t i = at; i < at + count; ++i)
    n = n * 10 + (text[i] - '0');
  return n;
}

// PostgreSQL rejects 2021-02-30 and 2021-04-31, so they are not valid here either.
int days_in_month(int year, int month) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : days[month - 1];
}

}  // namespace

bool is_rfc3339(std::string_view t) {
  // YYYY-MM-DDTHH:MM:SS
  if (t.size() < 20 || !digits(t, 0, 4) || t[4] != '-' || !digits(t, 5, 2) || t[7] != '-' ||
      !digits(t, 8, 2) || (t[10] != 'T' && t[10] != 't' && t[10] != ' ') || !digits(t, 11, 2) ||
      t[13] != ':' || !digits(t, 14, 2) || t[16] != ':' || !digits(t, 17, 2))
    return false;
  const int year = number(t, 0, 4), month = number(t, 5, 2), day = number(t, 8, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) ||
      number(t, 11, 2) > 23 || number(t, 14, 2) > 59 || number(t, 17, 2) > 60)
    return false;
  std::size_t i = 19;
  if (i < t.size() && t[i] == '.') {
    const std::size_t start = ++i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9')
      ++i;
    if (i == start || i - start > 9)
      return false;
  }
  if (i < t.size() && (t[i] == 'Z' || t[i] == 'z'))
    return i + 1 == t.size();
  if (i < t.size() && (t[i] == '+' || t[i] == '-'))
    return i + 6 == t.size() && digits(t, i + 1, 2) && t[i + 3] == ':' && digits(t, i + 4, 2) &&
           number(t, i + 1, 2) <= 23 && number(t, i + 4, 2) <= 59;
  return false;
}

std::optional<std::string> utc_seconds(std::string_view t) {
  if (!is_rfc3339(t))
    return std::nullopt;
  std::tm local{};
  local.tm_year = number(t, 0, 4) - 1900;
  local.tm_mon = number(t, 5, 2) - 1;
  local.tm_mday = number(t, 8, 2);
  local.tm_hour = number(t, 11, 2);
  local.tm_min = number(t, 14, 2);
  local.tm_sec = number(t, 17, 2);
  std::time_t seconds = timegm(&local);
  // is_rfc3339 has checked the shape: the zone is the last 1 or 6 characters.
  if (const char sign = t[t.size() - 6]; sign == '+' || sign == '-') {
    const int offset = number(t, t.size() - 5, 2) * 3600 + number(t, t.size() - 2, 2) * 60;
    seconds -= sign == '+' ? offset : -offset;
  }
  return utc_date_time(seconds);
}

std::optional<std::string> gitlab_time_utc(std::string_view t) {
  constexpr std::string_view kUtc = " UTC";
  std::string text(t);
  // "2016-08-12 15:23:28 UTC" is "2016-08-12 15:23:28Z" in RFC 3339's terms.
  if (text.size() > kUtc.size() && text.compare(text.size() - kUtc.size(), kUtc.size(), kUtc) == 0)
    text.replace(text.size() - kUtc.size(), kUtc.size(), "Z");
  auto seconds = utc_seconds(text);
  if (!seconds)
    return std::nullopt;
  // is_rfc3339 has checked the shape: a fraction, if any, starts at 19.
  std::string fraction;
  if (text[19] == '.')
    fraction = text.substr(19, text.find_first_not_of("0123456789", 20) - 19);
  return *seconds + fraction + "Z";
}

}  // namespace faultline
