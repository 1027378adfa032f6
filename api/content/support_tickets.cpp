#include "api/content/support_tickets.hpp"

#include "api/conditional.hpp"
#include "api/content/listing.hpp"
#include "api/json_body.hpp"
#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

constexpr std::size_t kSubjectChars = 200;
constexpr std::size_t kBodyChars = 20'000;
constexpr const char* kStatuses[] = {"open", "pending", "closed", nullptr};
constexpr const char* kPriorities[] = {"low", "normal", "high", "urgent", nullptr};

constexpr const char* kDocument =
    "json_build_object('id', t.id, 'subject', t.subject, 'body', t.body, 'status', t.status,"
    " 'priority', t.priority, 'owner_id', t.owner_id, 'assignee_id', t.assignee_id,"
    " 'created_at', " FAULTLINE_SQL_RFC3339(
        "t.created_at") ", 'updated_at', " FAULTLINE_SQL_RFC3339("t.updated_at") ")::text";

}  // namespace

TicketFilter parse_ticket_filter(const ApiRequest& request) {
  return TicketFilter{choice_parameter(request, "status", kStatuses),
                      choice_parameter(request, "priority", kPriorities)};
}

std::string list_tickets(soci::session& sql, const auth::Principal& caller,
                         const TicketFilter& filter, const Page& page) {
  const long long owner = caller.user_id;
  // Each parameter appears once (SOCI binds a repeated name only once).
  const std::string from_where =
      "FROM (SELECT :status::text AS status, :priority::text AS priority) f, support_tickets t" +
      visible_to(caller, "t") +
      " AND (f.status = '' OR t.status = f.status)"
      " AND (f.priority = '' OR t.priority = f.priority)";
  return newest_first(
      sql, kDocument, "t", from_where, page, [&](auto&& st) -> auto& {
        return st, soci::use(owner, "owner"), soci::use(filter.status, "status"),
               soci::use(filter.priority, "priority");
      });
}

std::optional<std::string> get_ticket(soci::session& sql, const auth::Principal& caller,
                                      std::int64_t id) {
  return owned_document(sql, caller, kDocument, "support_tickets", "t", id, false);
}

Created create_ticket(soci::session& sql, const auth::Principal& caller, const json::Value& body) {
  const auto subject = required_text(body, "subject", 1, kSubjectChars);
  const auto text = required_text(body, "body", 1, kBodyChars);
  const auto priority = choice_member(body, "priority", kPriorities).value_or("normal");
  const long long owner = caller.user_id;
  Created created;
  long long id = 0;
  sql << std::string(
             "INSERT INTO support_tickets AS t (owner_id, subject, body, priority)"
             " VALUES (:owner, :subject, :body, :priority) RETURNING t.id, ") +
             kDocument,
      soci::use(owner, "owner"), soci::use(subject, "subject"), soci::use(text, "body"),
      soci::use(priority, "priority"), soci::into(id), soci::into(created.document);
  created.id = id;
  return created;
}

std::optional<std::string> update_ticket(soci::session& sql, const ApiRequest& request,
                                         std::int64_t id, const json::Value& body) {
  const auto& caller = request.user();
  require_any_member(body, {"status", "priority", "assignee_id"});
  const auto status = choice_member(body, "status", kStatuses);
  const auto priority = choice_member(body, "priority", kPriorities);
  const auto* assignee = json::member(body, "assignee_id");
  if (assignee && !caller.admin())
    throw ClientError(
        Problem{403, "Forbidden", "Only an administrator assigns tickets.", "forbidden", {}});
  if (assignee && !assignee->IsNull() && !(assignee->IsInt64() && assignee->GetInt64() > 0))
    throw ClientError(unprocessable("assignee_id must be a user id or null."));

  soci::transaction tx(sql);
  const auto current = owned_document(sql, caller, kDocument, "support_tickets", "t", id, true);
  if (!current)
    return std::nullopt;
  require_if_match(request, *current);
  const long long ticket = id;

  long long assignee_id = assignee && assignee->IsInt64() ? assignee->GetInt64() : 0;
  if (assignee_id) {
    int admins = 0;
    sql << "SELECT count(*) FROM users WHERE id = :id AND role = 'admin'",
        soci::use(assignee_id, "id"), soci::into(admins);
    if (admins == 0)
      throw ClientError(unprocessable("assignee_id must name an administrator."));
  }
  const int assign = assignee ? 1 : 0;
  const std::string none;
  soci::indicator status_given = status ? soci::i_ok : soci::i_null;
  soci::indicator priority_given = priority ? soci::i_ok : soci::i_null;
  soci::indicator assignee_given = assignee_id ? soci::i_ok : soci::i_null;
  std::string document;
  sql << std::string(
             "UPDATE support_tickets AS t SET status = COALESCE(:status, t.status),"
             " priority = COALESCE(:priority, t.priority),"
             " assignee_id = CASE WHEN :assign = 1 THEN :assignee::bigint"
             "   ELSE t.assignee_id END, updated_at = now()"
             " WHERE t.id = :id RETURNING ") +
             kDocument,
      soci::use(status ? *status : none, status_given, "status"),
      soci::use(priority ? *priority : none, priority_given, "priority"),
      soci::use(assign, "assign"), soci::use(assignee_id, assignee_given, "assignee"),
      soci::use(ticket, "id"), soci::into(document);
  tx.commit();
  return document;
}

}  // namespace faultline::api
