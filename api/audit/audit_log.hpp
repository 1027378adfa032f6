#pragma once

// The audit log in PostgreSQL (schemas/db/014_audit_log.sql): appending rows
// to the chain, checking it (`faultline-api audit verify`), pruning it past
// the retention (keeping it verifiable) and listing it for administrators.

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_request.hpp"
#include "api/audit/audit_record.hpp"
#include "api/pagination.hpp"
#include "common/database.hpp"
#include "common/metrics.hpp"
#include "common/problem.hpp"
#include "common/soci.hpp"

namespace faultline::api::audit {

// The context of an API request: the caller (or "anonymous"), its address,
// user agent, hashed session id and request id.
Context context_of(const ApiRequest& request);

class AuditLog {
 public:
  // Rows are counted in faultline_api_audit_rows_total{action,outcome} when
  // there is a registry (the API's; commands have none).
  explicit AuditLog(metrics::Registry* registry = nullptr) : registry_(registry) {}

  // Appends one row inside the caller's open transaction (std::logic_error
  // without one). The chain head stays locked until that transaction ends, so
  // appends take turns and the action and its row commit or roll back
  // together; call it last, after the action's own writes.
  void append(soci::session& sql, const Context& context, const Event& event) const;

  // One row in a transaction of its own: a refusal, or an action whose effect
  // is outside the database (a call to GitHub).
  void record(Database& database, const Context& context, const Event& event) const;

  // Runs an action whose success row it writes itself (in its transaction);
  // a ClientError it ends with becomes a failure row naming the problem.
  template <typename Work>
  auto failures_of(Database& database, const Context& context, Action action,
                   const std::string& target, Work&& work) const {
    try {
      return work();
    } catch (const ClientError& e) {
      record(database, context, Event{action, target, Outcome::kFailure, e.problem().detail});
      throw;
    }
  }

 private:
  metrics::Registry* registry_;
};

struct Verification {
  std::int64_t checked = 0;   // rows checked
  std::int64_t first_id = 0;  // the first row the chain starts at (after the anchor)
  std::int64_t last_id = 0;
  std::optional<Break> broken;
};

// Walks the whole chain from its anchor to its head, in one snapshot.
Verification verify_chain(soci::session& sql);

struct Pruning {
  std::int64_t pruned = 0;       // rows deleted
  std::optional<Break> refused;  // the rows to prune do not verify: nothing deleted
};

// Deletes the rows older than `before` (RFC 3339, UTC) — the oldest rows up
// to the last one older than it — after checking them, moves the anchor to
// the last one deleted and records an audit_log_pruned row, all in one
// transaction. Nothing to delete: nothing changes.
Pruning prune_chain(soci::session& sql, const AuditLog& log, const std::string& before);

// FAULTLINE_AUDIT_RETENTION_DAYS: rows older than this many days are pruned.
inline constexpr std::int64_t kDefaultRetentionDays = 365;

// `days` before the database's now, as prune_chain takes it.
std::string retention_cutoff(soci::session& sql, std::int64_t days);

struct AuditFilter {
  std::string actor, action, target, outcome;  // empty: any
  std::string since, until;                    // RFC 3339 in UTC; empty: unbounded
};

// Reads the filters of GET /api/v1/audit-log; a bad one is a ClientError 400.
AuditFilter parse_audit_filter(const ApiRequest& request);

// {items,total,page,page_size,pages}, newest first.
std::string list_audit_log(soci::session& sql, const AuditFilter& filter, const Page& page);

}  // namespace faultline::api::audit
