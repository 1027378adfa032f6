#include "processors/notify/notifier_handler.hpp"

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/notify/messages.hpp"

namespace faultline::processors {
namespace {

using namespace notify;

// Every rule that matches a change names its channel once per change
// (DISTINCT ON); a rule in its quiet hours holds the change until they end,
// unless another rule of the channel would send it now. Disabled channels get
// nothing: they are told nothing they would not take. An `opened` change sent
// now waits up to :wait seconds for the issues role to read the run's log
// (schemas/db/024_notifications_await_context.sql) when it will: a GitHub
// repository with issues on and a token, its own or :fallback
// (FAULTLINE_GITHUB_TOKEN). A rule's category is known only once the log
// is read, so while it waits a rule asking for one matches provisionally and
// the delivery names the categories its channel's rules want.
constexpr const char* kDeliveries = R"SQL(
INSERT INTO notification_deliveries
  (channel_id, incident_id, change_id, change, event, status, next_attempt_at, awaiting_context,
   wanted_categories)
SELECT DISTINCT ON (r.channel_id, e.change_id)
       r.channel_id, e.incident_id, e.change_id, e.change, e.event,
       CASE WHEN q.until IS NULL THEN 'pending' ELSE 'held' END,
       COALESCE(q.until, now() + CASE WHEN w.waits THEN make_interval(secs => :wait) ELSE '0s' END),
       q.until IS NULL AND w.waits,
       CASE WHEN NOT bool_or(r.category IS NULL OR r.category IS NOT DISTINCT FROM e.category)
                       OVER (PARTITION BY r.channel_id, e.change_id)
            THEN array_agg(r.category) OVER (PARTITION BY r.channel_id, e.change_id) END
  FROM jsonb_to_recordset(:rows::jsonb) AS e(change_id text, incident_id bigint, change text,
         repository text, branch text, category text, occurrences int, event text)
  CROSS JOIN LATERAL (SELECT e.change = 'opened' AND :wait > 0 AND EXISTS (
                        SELECT 1 FROM incidents i JOIN repositories p ON p.id = i.repository_id
                          JOIN repository_tokens t ON t.repository_id = p.id
                         WHERE i.id = e.incident_id AND p.provider = 'github' AND p.open_issues
                           AND (t.token_ciphertext IS NOT NULL OR :fallback::int = 1))
                      AS waits) AS w
  JOIN notification_rules r ON e.change = ANY (r.changes)
  JOIN notification_channels c ON c.id = r.channel_id AND c.enabled
  CROSS JOIN LATERAL (SELECT faultline_quiet_until(r.quiet_start, r.quiet_end,
                                                   r.quiet_time_zone, now()) AS until) AS q
 WHERE (r.repository IS NULL OR lower(r.repository) = lower(e.repository))
   AND (r.branch_pattern IS NULL OR e.branch LIKE faultline_glob_to_like(r.branch_pattern))
   AND (r.category IS NULL OR r.category = e.category
        OR (e.category IS NULL AND w.waits AND q.until IS NULL))
   AND (e.change <> 'recurred' OR e.occurrences >= r.recurred_after)
 ORDER BY r.channel_id, e.change_id, q.until NULLS FIRST
ON CONFLICT (channel_id, change_id) DO NOTHING
)SQL";

}  // namespace

std::string change_id(const kafka::Message& message) {
  if (const auto id = message.header("ce_id"); id && !id->empty() && id->size() <= 200)
    return std::string(*id);
  return "sha256:" + crypto::to_hex(crypto::sha256(message.value()));
}

std::vector<Rejection> NotifierHandler::apply(soci::session& sql,
                                              const std::vector<kafka::Message>& batch) {
  std::vector<Rejection> rejections;
  std::size_t changes = 0;
  const auto rows = json::array([&](json::Writer& out) {
    for (std::size_t i = 0; i < batch.size(); ++i) {
      IncidentChange change;
      try {
        change = IncidentChange::parse(batch[i].value());
      } catch (const json::ParseError& e) {
        rejections.push_back({i, e.what()});
        continue;
      }
      if (!notifiable(change.type))
        continue;  // issue_linked, and types added after this reader
      ++changes;
      out.StartObject();
      out.Key("change_id");
      json::write(out, change_id(batch[i]));
      out.Key("incident_id");
      out.Int64(change.incident_id);
      out.Key("change");
      json::write(out, change.type);
      out.Key("repository");
      json::write(out, change.repository);
      out.Key("branch");
      json::write(out, change.branch);
      out.Key("category");
      json::write(out, change.category);
      out.Key("occurrences");
      out.Int64(change.occurrences);
      out.Key("event");
      json::write(out, change.event);
      out.EndObject();
    }
  });
  const double wait = std::chrono::duration<double>(context_wait_).count();
  const int fallback = fallback_token_ ? 1 : 0;
  if (changes > 0)
    sql << kDeliveries, soci::use(rows, "rows"), soci::use(wait, "wait"),
        soci::use(fallback, "fallback");
  return rejections;
}

}  // namespace faultline::processors
