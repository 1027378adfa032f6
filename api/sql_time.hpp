#pragma once

// A timestamptz column rendered by PostgreSQL as RFC 3339 in UTC, for the
// JSON documents the API builds in SQL.
#define FAULTLINE_SQL_RFC3339(column) \
  "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
