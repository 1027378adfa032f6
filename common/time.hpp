#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faultline {

// Now, as RFC 3339 in UTC with milliseconds: 2026-11-23T10:15:30.123Z.
std::string utc_now_rfc3339();

// Now, in whole seconds since the Unix epoch (JWT times, rate-limit resets).
std::int64_t epoch_seconds();

}  // namespace faultline

// The SQL time format: a timestamptz expression rendered by PostgreSQL as
// RFC 3339 in UTC, 2026-11-23T10:15:30Z (whole seconds; _MS with
// milliseconds, 2026-11-23T10:15:30.123Z, the shape of utc_now_rfc3339). Every
// statement that hands a time to the API's documents, to GitHub or to an event
// formats it with these. Macros, not functions, so statements stay string
// literals: FAULTLINE_SQL_RFC3339("r.last_seen") within "SELECT ... FROM r".
#define FAULTLINE_SQL_RFC3339(expression) \
  "to_char((" expression ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
#define FAULTLINE_SQL_RFC3339_MS(expression) \
  "to_char((" expression ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
// With microseconds, all PostgreSQL keeps: the audit log's times as hashed.
#define FAULTLINE_SQL_RFC3339_US(expression) \
  "to_char((" expression ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

namespace faultline {

// True for RFC 3339 date-times such as 2026-11-23T10:15:30Z or
// 2026-11-23T10:15:30.123+01:00 (what GitHub sends and PostgreSQL accepts).
bool is_rfc3339(std::string_view text);

// An RFC 3339 date-time moved to UTC and cut to whole seconds, as
// "2026-11-23T09:15:30" (the fraction dropped); nullopt if it is not one. Lines
// of GitHub's job logs are stamped in UTC, so text of this shape compares
// with a stamp's first 19 characters.
std::optional<std::string> utc_seconds(std::string_view text);

// A time in either form GitLab sends — "2016-08-12 15:23:28 UTC" (pipeline
// and job hooks) or ISO 8601 with an offset, "2016-08-12T17:23:21+02:00" or
// "2021-02-23T02:41:37.886Z" (newer hooks, the REST API) — as RFC 3339 in
// UTC: "2016-08-12T15:23:28Z", a fraction kept ("2021-02-23T02:41:37.886Z").
// nullopt for anything else. Normalized times are returned unchanged.
std::optional<std::string> gitlab_time_utc(std::string_view text);

}  // namespace faultline
