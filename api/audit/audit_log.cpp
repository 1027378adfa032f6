#include "api/audit/audit_log.hpp"

#include <libpq-fe.h>

#include <limits>
#include <stdexcept>
#include <vector>

#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api::audit {
namespace {

// The head's one row, locked: appends (and a prune) take turns on it.
constexpr const char* kLockHead = "SELECT last_id, last_hash FROM audit_chain_head FOR UPDATE";
// The time of a row, taken once the head is locked, so rows follow each other in time.
constexpr const char* kNow = "SELECT " FAULTLINE_SQL_RFC3339_US("clock_timestamp()");
constexpr const char* kInsert =
    "INSERT INTO audit_log (id, at, actor, source_address, user_agent, session_hash, action,"
    " target, outcome, reason, request_id, previous_hash, hash) VALUES (:id, :at::timestamptz,"
    " :actor, :source_address, :user_agent, :session_hash, :action, :target, :outcome, :reason,"
    " :request_id, :previous_hash, :hash)";
constexpr const char* kMoveHead = "UPDATE audit_chain_head SET last_id = :id, last_hash = :hash";

// Rows in chain order, a chunk at a time, every field as it is hashed.
constexpr const char* kRows =
    "SELECT id, " FAULTLINE_SQL_RFC3339_US(
        "at") ", actor, source_address, user_agent, session_hash, action, target, outcome,"
              " reason, request_id, previous_hash, hash FROM audit_log"
              " WHERE id > :after AND id <= :through ORDER BY id LIMIT :chunk";
constexpr long long kChunk = 10'000;

constexpr std::size_t kMaxRequestIdBytes = 64;

void require_transaction(soci::session& sql) {
  auto* backend = static_cast<soci::postgresql_session_backend*>(sql.get_backend());
  if (PQtransactionStatus(backend->conn_) != PQTRANS_INTRANS)
    throw std::logic_error("an audit row is appended inside the action's transaction");
}

std::vector<Record> read_rows(soci::session& sql, long long after, long long through) {
  std::vector<Record> rows;
  const long long chunk = kChunk;
  soci::rowset<soci::row> result = (sql.prepare << kRows, soci::use(after, "after"),
                                    soci::use(through, "through"), soci::use(chunk, "chunk"));
  for (const auto& row : result) {
    Record r;
    r.id = row.get<long long>(0);
    std::string* fields[] = {&r.at,           &r.actor,      &r.source_address, &r.user_agent,
                             &r.session_hash, &r.action,     &r.target,         &r.outcome,
                             &r.reason,       &r.request_id, &r.previous_hash,  &r.hash};
    for (std::size_t i = 0; i < std::size(fields); ++i)
      *fields[i] = row.get<std::string>(i + 1);
    rows.push_back(std::move(r));
  }
  return rows;
}

// Feeds `check` the rows after `after` up to `through`; the first break, if any.
std::optional<Break> walk(soci::session& sql, ChainCheck& check, long long after,
                          long long through) {
  for (;;) {
    const auto rows = read_rows(sql, after, through);
    for (const auto& row : rows)
      if (auto broken = check.next(row))
        return broken;
    if (static_cast<long long>(rows.size()) < kChunk)
      return std::nullopt;
    after = rows.back().id;
  }
}

struct Anchor {
  long long id = 0;
  std::string hash;
};

Anchor read_anchor(soci::session& sql) {
  Anchor anchor;
  sql << "SELECT last_id, last_hash FROM audit_chain_anchor", soci::into(anchor.id),
      soci::into(anchor.hash);
  return anchor;
}

std::string bounded_parameter(const ApiRequest& request, const char* name, std::size_t max) {
  auto value = request.query_value(name).value_or("");
  if (value.size() > max || printable_ascii(value, max) != value)
    throw ClientError(bad_request(
        std::string(name) + " must be at most " + std::to_string(max) + " printable characters.",
        "invalid-parameter"));
  return value;
}

}  // namespace

Context context_of(const ApiRequest& request) {
  Context context;
  context.actor = request.principal ? std::to_string(request.principal->user_id) : "anonymous";
  context.source_address = printable_ascii(request.client_ip, 64);
  context.user_agent = request.user_agent();
  if (request.principal)
    context.session_hash = session_hash(request.principal->session_id);
  context.request_id = printable_ascii(request.request_id, kMaxRequestIdBytes);
  return context;
}

void AuditLog::append(soci::session& sql, const Context& context, const Event& event) const {
  require_transaction(sql);
  Record r;
  long long last_id = 0;
  sql << kLockHead, soci::into(last_id), soci::into(r.previous_hash);
  sql << kNow, soci::into(r.at);
  r.id = last_id + 1;
  r.actor = printable_ascii(context.actor, 64);
  r.source_address = printable_ascii(context.source_address, 64);
  r.user_agent = printable_ascii(context.user_agent, 512);
  r.session_hash = printable_ascii(context.session_hash, 64);
  r.action = std::string(name(event.action));
  r.target = printable_ascii(event.target, kMaxTargetBytes);
  r.outcome = std::string(name(event.outcome));
  r.reason = printable_ascii(event.reason, kMaxReasonBytes);
  r.request_id = printable_ascii(context.request_id, kMaxRequestIdBytes);
  r.hash = chain_hash(r);
  const long long id = r.id;
  sql << kInsert, soci::use(id, "id"), soci::use(r.at, "at"), soci::use(r.actor, "actor"),
      soci::use(r.source_address, "source_address"), soci::use(r.user_agent, "user_agent"),
      soci::use(r.session_hash, "session_hash"), soci::use(r.action, "action"),
      soci::use(r.target, "target"), soci::use(r.outcome, "outcome"), soci::use(r.reason, "reason"),
      soci::use(r.request_id, "request_id"), soci::use(r.previous_hash, "previous_hash"),
      soci::use(r.hash, "hash");
  sql << kMoveHead, soci::use(id, "id"), soci::use(r.hash, "hash");
  if (registry_)
    registry_
        ->counter("faultline_api_audit_rows_total", "Audit log rows written, by action and outcome",
                  {{"action", r.action}, {"outcome", r.outcome}})
        .increment();
}

void AuditLog::record(Database& database, const Context& context, const Event& event) const {
  database.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    append(sql, context, event);
    tx.commit();
  });
}

Verification verify_chain(soci::session& sql) {
  soci::transaction tx(sql);
  // One snapshot for anchor, rows and head, whatever is appended meanwhile.
  sql << "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY";
  const auto anchor = read_anchor(sql);
  long long head_id = 0;
  std::string head_hash;
  sql << "SELECT last_id, last_hash FROM audit_chain_head", soci::into(head_id),
      soci::into(head_hash);
  ChainCheck check(anchor.id, anchor.hash);
  Verification result;
  result.first_id = anchor.id + 1;
  result.broken = walk(sql, check, std::numeric_limits<long long>::min(),
                       std::numeric_limits<long long>::max());
  if (!result.broken)
    result.broken = check.finish(head_id, head_hash);
  result.checked = check.checked();
  result.last_id = check.last_id();
  tx.commit();
  return result;
}

Pruning prune_chain(soci::session& sql, const AuditLog& log, const std::string& before) {
  soci::transaction tx(sql);
  long long head_id = 0;
  std::string head_hash;
  sql << kLockHead, soci::into(head_id), soci::into(head_hash);
  const auto anchor = read_anchor(sql);
  long long through = 0;
  soci::indicator found = soci::i_null;
  sql << "SELECT max(id) FROM audit_log WHERE at < :before::timestamptz",
      soci::use(before, "before"), soci::into(through, found);
  Pruning result;
  if (found != soci::i_ok || through <= anchor.id)
    return result;
  // What is deleted is checked first: a broken chain is never pruned away.
  ChainCheck check(anchor.id, anchor.hash);
  result.refused = walk(sql, check, std::numeric_limits<long long>::min(), through);
  if (!result.refused && check.last_id() != through)
    result.refused =
        Break{check.last_id() + 1, "row " + std::to_string(check.last_id() + 1) + " is missing"};
  if (result.refused)
    return result;
  soci::statement st =
      (sql.prepare << "DELETE FROM audit_log WHERE id <= :through", soci::use(through, "through"));
  st.execute(true);
  result.pruned = static_cast<std::int64_t>(st.get_affected_rows());
  const long long pruned = result.pruned;
  sql << "UPDATE audit_chain_anchor SET last_id = :id, last_hash = :hash,"
         " pruned_rows = pruned_rows + :pruned, pruned_at = now()",
      soci::use(through, "id"), soci::use(check.last_hash(), "hash"), soci::use(pruned, "pruned");
  log.append(sql, system_context(),
             Event{Action::kAuditLogPruned, "audit_log", Outcome::kSuccess,
                   std::to_string(result.pruned) + " rows older than " + before +
                       " pruned; the chain now starts after row " + std::to_string(through)});
  tx.commit();
  return result;
}

std::string retention_cutoff(soci::session& sql, std::int64_t days) {
  std::string cutoff;
  const long long count = days;
  sql << "SELECT " FAULTLINE_SQL_RFC3339_US("now() - make_interval(days => :days::int)"),
      soci::use(count, "days"), soci::into(cutoff);
  return cutoff;
}

AuditFilter parse_audit_filter(const ApiRequest& request) {
  AuditFilter filter;
  filter.actor = bounded_parameter(request, "actor", 64);
  filter.target = bounded_parameter(request, "target", kMaxTargetBytes);
  filter.action = request.query_value("action").value_or("");
  if (!filter.action.empty() && !parse_action(filter.action))
    throw ClientError(bad_request(
        "action must be one of the audit log's actions, such as authn_login_fail (README, "
        "Audit log).",
        "invalid-parameter"));
  static constexpr const char* kOutcomes[] = {"success", "failure", nullptr};
  filter.outcome = choice_parameter(request, "outcome", kOutcomes);
  filter.since = timestamp_parameter(request, "since");
  filter.until = timestamp_parameter(request, "until");
  // Both are UTC and start with whole seconds: those compare as text.
  if (!filter.since.empty() && !filter.until.empty() &&
      filter.since.substr(0, 19) > filter.until.substr(0, 19))
    throw ClientError(bad_request("since must not be after until.", "invalid-parameter"));
  return filter;
}

std::string list_audit_log(soci::session& sql, const AuditFilter& filter, const Page& page) {
  static const std::string kMatching =
      " FROM (SELECT :actor::text AS actor, :action::text AS action, :target::text AS target,"
      " :outcome::text AS outcome, NULLIF(:since, '')::timestamptz AS since,"
      " NULLIF(:until, '')::timestamptz AS until) f, audit_log a"
      " WHERE (f.actor = '' OR a.actor = f.actor) AND (f.action = '' OR a.action = f.action)"
      " AND (f.target = '' OR a.target = f.target) AND (f.outcome = '' OR a.outcome = f.outcome)"
      " AND (f.since IS NULL OR a.at >= f.since) AND (f.until IS NULL OR a.at < f.until)";
  static const std::string kDocument =
      "json_build_object('id', a.id, 'at', " FAULTLINE_SQL_RFC3339_US(
          "a.at") ", 'actor', a.actor,"
                  " 'source_address', NULLIF(a.source_address, ''),"
                  " 'user_agent', NULLIF(a.user_agent, ''),"
                  " 'session_hash', NULLIF(a.session_hash, ''), 'action', a.action,"
                  " 'target', NULLIF(a.target, ''), 'outcome', a.outcome,"
                  " 'reason', NULLIF(a.reason, ''), 'request_id', NULLIF(a.request_id, ''),"
                  " 'previous_hash', a.previous_hash, 'hash', a.hash)";
  const auto bind = [&](auto&& statement) -> auto& {
    return statement, soci::use(filter.actor, "actor"), soci::use(filter.action, "action"),
           soci::use(filter.target, "target"), soci::use(filter.outcome, "outcome"),
           soci::use(filter.since, "since"), soci::use(filter.until, "until");
  };
  long long total = 0;
  bind(sql << "SELECT count(*)" + kMatching), soci::into(total);
  const long long limit = page.size, offset = page.offset();
  std::string items;
  bind(sql << "SELECT COALESCE(json_agg(doc ORDER BY id DESC), '[]')::text FROM (SELECT " +
                  kDocument + " AS doc, a.id" + kMatching +
                  " ORDER BY a.id DESC LIMIT :limit OFFSET :offset) AS page"),
      soci::use(limit, "limit"), soci::use(offset, "offset"), soci::into(items);
  return page_document(items, total, page);
}

}  // namespace faultline::api::audit
