#include "api/notifications/notification_rules.hpp"

#include <regex>
#include <set>

#include "api/conditional.hpp"
#include "api/json_body.hpp"
#include "common/failure_categories.hpp"
#include "common/pg_literal.hpp"
#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

constexpr const char* kDocument =
    "json_build_object('id', r.id, 'channel_id', r.channel_id, 'changes', to_json(r.changes),"
    " 'repository', r.repository, 'branch_pattern', r.branch_pattern, 'category', r.category,"
    " 'recurred_after', r.recurred_after, 'quiet_hours', CASE WHEN r.quiet_start IS NULL THEN"
    " NULL ELSE json_build_object('start', to_char(r.quiet_start, 'HH24:MI'), 'end',"
    " to_char(r.quiet_end, 'HH24:MI'), 'time_zone', r.quiet_time_zone) END,"
    " 'created_at', " FAULTLINE_SQL_RFC3339(
        "r.created_at") ", 'updated_at', " FAULTLINE_SQL_RFC3339("r.updated_at") ")::text";

// Each optional member is set only when given (`given.*`), to its value or NULL.
constexpr const char* kUpdate =
    "UPDATE notification_rules AS r SET"
    " changes = COALESCE(:changes::text[], r.changes),"
    " repository = CASE WHEN given.repository = 1 THEN :repository ELSE r.repository END,"
    " branch_pattern = CASE WHEN given.branch = 1 THEN :branch ELSE r.branch_pattern END,"
    " category = CASE WHEN given.category = 1 THEN :category ELSE r.category END,"
    " recurred_after = COALESCE(:recurred_after, r.recurred_after),"
    " quiet_start = CASE WHEN given.quiet = 1 THEN :quiet_start::time ELSE r.quiet_start END,"
    " quiet_end = CASE WHEN given.quiet = 1 THEN :quiet_end::time ELSE r.quiet_end END,"
    " quiet_time_zone = CASE WHEN given.quiet = 1 THEN :quiet_zone ELSE r.quiet_time_zone END,"
    " updated_at = now()"
    " FROM (SELECT :repository_given::int AS repository, :branch_given::int AS branch,"
    "       :category_given::int AS category, :quiet_given::int AS quiet) AS given"
    " WHERE r.id = :id RETURNING ";

std::string target_of(std::int64_t id) {
  return "notification_rule:" + std::to_string(id);
}

// A nullable member: absent (not given), null (given, cleared) or a value.
struct Optional {
  bool given = false;
  std::optional<std::string> value;
};

struct Quiet {
  bool given = false;
  std::optional<std::string> start, end, zone;
};

struct Fields {
  std::optional<long long> channel_id;
  std::optional<std::string> changes;  // a text[] literal
  Optional repository, branch, category;
  std::optional<int> recurred_after;
  Quiet quiet;
  std::string described;
};

void describe(Fields& fields, const std::string& part) {
  fields.described += (fields.described.empty() ? "" : "; ") + part;
}

Optional nullable_text(const json::Value& body, const char* key, std::size_t max_chars) {
  const auto* value = json::member(body, key);
  if (!value)
    return {};
  if (value->IsNull())
    return {true, std::nullopt};
  return {true, text_member(body, key, 1, max_chars)};
}

std::string clock_time(const json::Value& quiet, const char* key) {
  static const std::regex kClock("([01][0-9]|2[0-3]):[0-5][0-9]");
  const auto text = json::string_member(quiet, key);
  if (!text || !std::regex_match(text->begin(), text->end(), kClock))
    throw ClientError(unprocessable(std::string("quiet_hours.") + key + " must be HH:MM (24 h)."));
  return std::string(*text);
}

Fields read_fields(soci::session& sql, const json::Value& body, bool creating) {
  static const std::set<std::string> kMembers{"channel_id",     "changes",  "repository",
                                              "branch_pattern", "category", "recurred_after",
                                              "quiet_hours"};
  for (const auto& member : body.GetObject()) {
    const std::string key(member.name.GetString(), member.name.GetStringLength());
    if (!kMembers.count(key) || (!creating && key == "channel_id"))
      throw ClientError(unprocessable(key.substr(0, 64) + " is not a member a rule " +
                                      (creating ? "has." : "can change.")));
  }
  Fields fields;
  if (creating) {
    const auto* channel = json::member(body, "channel_id");
    if (!channel || !channel->IsInt64() || channel->GetInt64() <= 0)
      throw ClientError(unprocessable("channel_id must be a channel's id."));
    fields.channel_id = channel->GetInt64();
    int known = 0;
    sql << "SELECT count(*) FROM notification_channels WHERE id = :id",
        soci::use(*fields.channel_id, "id"), soci::into(known);
    if (!known)
      throw ClientError(unprocessable("No channel " + std::to_string(*fields.channel_id) + "."));
  }
  if (const auto* changes = json::member(body, "changes")) {
    static const std::set<std::string> kChanges{"opened", "recurred", "acknowledged", "resolved"};
    if (!changes->IsArray() || changes->Empty())
      throw ClientError(unprocessable(
          "changes must be a non-empty array of opened, recurred, acknowledged, resolved."));
    std::set<std::string> chosen;
    for (const auto& change : changes->GetArray()) {
      const std::string text = change.IsString() ? change.GetString() : "";
      if (!kChanges.count(text) || !chosen.insert(text).second)
        throw ClientError(unprocessable(
            "changes holds each of opened, recurred, acknowledged, resolved at most once."));
    }
    fields.changes = pg::array_literal(std::vector<std::string>(chosen.begin(), chosen.end()));
    describe(fields, "changes");
  } else if (creating) {
    throw ClientError(unprocessable("changes is required."));
  }
  fields.repository = nullable_text(body, "repository", 201);
  static const std::regex kFullName("[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}");
  if (fields.repository.value && !std::regex_match(*fields.repository.value, kFullName))
    throw ClientError(unprocessable("repository must be owner/name."));
  if (fields.repository.given)
    describe(fields, "repository");
  fields.branch = nullable_text(body, "branch_pattern", 255);
  if (fields.branch.given)
    describe(fields, "branch_pattern");
  fields.category = nullable_text(body, "category", 64);
  if (fields.category.value) {
    bool known = *fields.category.value == kUnknownFailureCategory;
    for (const auto category : kFailureCategories)
      known = known || category == *fields.category.value;
    if (!known)
      throw ClientError(unprocessable("category must be a failure category or unknown."));
  }
  if (fields.category.given)
    describe(fields, "category");
  if (const auto* after = json::member(body, "recurred_after")) {
    if (!after->IsInt() || after->GetInt() < 1 || after->GetInt() > 1000)
      throw ClientError(unprocessable("recurred_after must be an integer from 1 to 1000."));
    fields.recurred_after = after->GetInt();
    describe(fields, "recurred_after " + std::to_string(*fields.recurred_after));
  }
  if (const auto* quiet = json::member(body, "quiet_hours")) {
    fields.quiet.given = true;
    describe(fields, "quiet_hours");
    if (!quiet->IsNull()) {
      if (!quiet->IsObject() || quiet->MemberCount() != 3)
        throw ClientError(unprocessable("quiet_hours must be {start, end, time_zone} or null."));
      fields.quiet.start = clock_time(*quiet, "start");
      fields.quiet.end = clock_time(*quiet, "end");
      const auto zone = json::string_member(*quiet, "time_zone");
      int known = 0;
      if (zone && !zone->empty() && zone->size() <= 64) {
        const std::string name(*zone);
        sql << "SELECT count(*) FROM pg_timezone_names WHERE name = :zone", soci::use(name, "zone"),
            soci::into(known);
      }
      if (!known)
        throw ClientError(
            unprocessable("quiet_hours.time_zone must be an IANA time zone, e.g. Europe/Berlin."));
      fields.quiet.zone = std::string(*zone);
    }
  }
  return fields;
}

std::optional<std::string> document_of(soci::session& sql, std::int64_t id, bool for_update) {
  return document_by_id(sql, kDocument, "notification_rules", "r", id, for_update);
}

// An optional text as SOCI binds it: the text, or NULL.
struct Parameter {
  std::string value;
  soci::indicator indicator = soci::i_null;
};

Parameter bound(const std::optional<std::string>& value) {
  return value ? Parameter{*value, soci::i_ok} : Parameter{};
}

// What create and update bind alike.
struct Bound {
  Parameter repository, branch, category, quiet_start, quiet_end, quiet_zone;
  explicit Bound(const Fields& f)
      : repository(bound(f.repository.value)),
        branch(bound(f.branch.value)),
        category(bound(f.category.value)),
        quiet_start(bound(f.quiet.start)),
        quiet_end(bound(f.quiet.end)),
        quiet_zone(bound(f.quiet.zone)) {}
};

}  // namespace

std::string NotificationRules::list(soci::session& sql, std::int64_t channel_id,
                                    const Page& page) const {
  // Chosen here, never from input: each shape its own plan.
  if (channel_id == 0)
    return newest_first(sql, kDocument, "r", "FROM notification_rules r", page, kNoParameters);
  const long long channel = channel_id;
  return newest_first(
      sql, kDocument, "r", "FROM notification_rules r WHERE r.channel_id = :channel",
      page, [&](auto&& st) -> auto& { return st, soci::use(channel, "channel"); });
}

std::optional<std::string> NotificationRules::get(soci::session& sql, std::int64_t id) const {
  return document_of(sql, id, false);
}

Created NotificationRules::create(soci::session& sql, const json::Value& body,
                                  const audit::Context& who) const {
  soci::transaction tx(sql);
  const auto fields = read_fields(sql, body, true);
  const int recurred_after = fields.recurred_after.value_or(1);
  Bound b(fields);
  Created created;
  long long id = 0;
  sql << std::string(
             "INSERT INTO notification_rules AS r (channel_id, changes, repository,"
             " branch_pattern, category, recurred_after, quiet_start, quiet_end,"
             " quiet_time_zone) VALUES (:channel, :changes::text[], :repository,"
             " :branch, :category, :recurred_after, :quiet_start::time, :quiet_end::time,"
             " :quiet_zone) RETURNING r.id, ") +
             kDocument,
      soci::use(*fields.channel_id, "channel"), soci::use(*fields.changes, "changes"),
      soci::use(b.repository.value, b.repository.indicator, "repository"),
      soci::use(b.branch.value, b.branch.indicator, "branch"),
      soci::use(b.category.value, b.category.indicator, "category"),
      soci::use(recurred_after, "recurred_after"),
      soci::use(b.quiet_start.value, b.quiet_start.indicator, "quiet_start"),
      soci::use(b.quiet_end.value, b.quiet_end.indicator, "quiet_end"),
      soci::use(b.quiet_zone.value, b.quiet_zone.indicator, "quiet_zone"), soci::into(id),
      soci::into(created.document);
  created.id = id;
  audit_.append(
      sql, who,
      audit::Event{audit::Action::kAdminNotificationRuleCreate, target_of(id),
                   audit::Outcome::kSuccess,
                   "channel " + std::to_string(*fields.channel_id) + "; " + fields.described});
  tx.commit();
  return created;
}

std::optional<std::string> NotificationRules::update(soci::session& sql, const ApiRequest& request,
                                                     std::int64_t id, const json::Value& body,
                                                     const audit::Context& who) const {
  soci::transaction tx(sql);
  const auto current = document_of(sql, id, true);
  if (!current)
    return std::nullopt;
  require_if_match(request, *current);
  const auto fields = read_fields(sql, body, false);
  if (fields.described.empty())
    throw ClientError(unprocessable("Name at least one member to change."));
  Bound b(fields);
  auto changes = bound(fields.changes);
  soci::indicator after_ind = fields.recurred_after ? soci::i_ok : soci::i_null;
  const int recurred_after = fields.recurred_after.value_or(1);
  const int repository_given = fields.repository.given, branch_given = fields.branch.given,
            category_given = fields.category.given, quiet_given = fields.quiet.given;
  const long long rule = id;
  std::string document;
  sql << std::string(kUpdate) + kDocument, soci::use(changes.value, changes.indicator, "changes"),
      soci::use(b.repository.value, b.repository.indicator, "repository"),
      soci::use(b.branch.value, b.branch.indicator, "branch"),
      soci::use(b.category.value, b.category.indicator, "category"),
      soci::use(recurred_after, after_ind, "recurred_after"),
      soci::use(b.quiet_start.value, b.quiet_start.indicator, "quiet_start"),
      soci::use(b.quiet_end.value, b.quiet_end.indicator, "quiet_end"),
      soci::use(b.quiet_zone.value, b.quiet_zone.indicator, "quiet_zone"),
      soci::use(repository_given, "repository_given"), soci::use(branch_given, "branch_given"),
      soci::use(category_given, "category_given"), soci::use(quiet_given, "quiet_given"),
      soci::use(rule, "id"), soci::into(document);
  audit_.append(sql, who,
                audit::Event{audit::Action::kAdminNotificationRuleUpdate, target_of(id),
                             audit::Outcome::kSuccess, fields.described});
  tx.commit();
  return document;
}

bool NotificationRules::remove(soci::session& sql, std::int64_t id,
                               const audit::Context& who) const {
  soci::transaction tx(sql);
  const long long rule = id;
  long long channel = 0;
  sql << "DELETE FROM notification_rules WHERE id = :id RETURNING channel_id",
      soci::use(rule, "id"), soci::into(channel);
  if (!sql.got_data())
    return false;
  audit_.append(sql, who,
                audit::Event{audit::Action::kAdminNotificationRuleDelete, target_of(id),
                             audit::Outcome::kSuccess, "channel " + std::to_string(channel)});
  tx.commit();
  return true;
}

}  // namespace faultline::api
