#include "api/notifications/notification_channels.hpp"

#include <cctype>
#include <set>

#include "api/conditional.hpp"
#include "api/json_body.hpp"
#include "common/crypto.hpp"
#include "common/notify/channel_delivery.hpp"
#include "common/notify/messages.hpp"
#include "common/notify/standard_webhooks.hpp"
#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

using notify::ChannelKind;

constexpr const char* kPagerDutyEvents = "https://events.pagerduty.com/v2/enqueue";

// Never the secret: only the key that sealed it.
constexpr const char* kDocument =
    "json_build_object('id', c.id, 'kind', c.kind, 'name', c.name, 'url', c.url,"
    " 'enabled', c.enabled, 'disabled_at', " FAULTLINE_SQL_RFC3339(
        "c.disabled_at") ", 'disabled_reason', c.disabled_reason,"
                         " 'secret_key_id', split_part(c.secret_ciphertext, '.', 1),"
                         " 'created_at', " FAULTLINE_SQL_RFC3339(
                             "c.created_at") ", 'updated_at', " FAULTLINE_SQL_RFC3339("c.updated_at") ")::text";

constexpr const char* kInsert =
    "INSERT INTO notification_channels AS c (kind, name, url, secret_ciphertext)"
    " VALUES (:kind, :name, :url, :sealed) RETURNING c.id, ";

// enabled = true clears why it was disabled; false disables it by hand.
// (`given` names the parameter once: SOCI binds each name once.)
constexpr const char* kUpdate =
    "UPDATE notification_channels AS c SET name = COALESCE(:name, c.name),"
    " url = COALESCE(:url, c.url), secret_ciphertext = COALESCE(:sealed, c.secret_ciphertext),"
    " enabled = COALESCE(given.enabled::boolean, c.enabled),"
    " disabled_at = CASE WHEN given.enabled = 1 THEN NULL ELSE c.disabled_at END,"
    " disabled_reason = CASE WHEN given.enabled = 1 THEN NULL ELSE c.disabled_reason END,"
    " updated_at = now() FROM (SELECT :enabled::int AS enabled) AS given"
    " WHERE c.id = :id RETURNING ";

std::string target_of(std::int64_t id) {
  return "notification_channel:" + std::to_string(id);
}

// What a body may change, checked against the channel's kind.
struct Fields {
  std::optional<std::string> name, url, secret;
  std::optional<int> enabled;
  std::string described;  // for the audit row: names, never secrets
};

void describe(Fields& fields, const std::string& part) {
  fields.described += (fields.described.empty() ? "" : "; ") + part;
}

std::string checked_url(const json::Value& body, const char* key, const OutboundPolicy& policy) {
  const auto url = text_member(body, key, 1, 2048);
  if (!url)
    throw ClientError(unprocessable(std::string(key) + " is required."));
  if (const auto refused = policy.refuse_url(*url))
    throw ClientError(unprocessable(std::string(key) + ": " + *refused + "."));
  return *url;
}

Fields read_fields(const json::Value& body, ChannelKind kind, const OutboundPolicy& policy,
                   bool creating) {
  std::set<std::string> allowed{"name"};
  if (creating)
    allowed.insert("kind");
  else
    allowed.insert("enabled");
  switch (kind) {
    case ChannelKind::kSlack:
      allowed.insert("webhook_url");
      break;
    case ChannelKind::kWebhook:
      allowed.insert({"url", "secrets"});
      break;
    case ChannelKind::kPagerDuty:
      allowed.insert({"url", "routing_key"});
      break;
  }
  for (const auto& member : body.GetObject()) {
    const std::string key(member.name.GetString(), member.name.GetStringLength());
    if (!allowed.count(key))
      throw ClientError(unprocessable(key.substr(0, 64) + " is not a member of a " +
                                      notify::to_string(kind) + " channel."));
  }

  Fields fields;
  fields.name = text_member(body, "name", 1, 200);
  if (creating && !fields.name)
    throw ClientError(unprocessable("name is required."));
  if (fields.name)
    describe(fields, "name");
  if (const auto* enabled = json::member(body, "enabled")) {
    if (!enabled->IsBool())
      throw ClientError(unprocessable("enabled must be true or false."));
    fields.enabled = enabled->GetBool() ? 1 : 0;
    describe(fields, enabled->GetBool() ? "enabled" : "disabled");
  }
  switch (kind) {
    case ChannelKind::kSlack:
      if (creating || json::member(body, "webhook_url")) {
        fields.secret = checked_url(body, "webhook_url", policy);
        describe(fields, "webhook_url");
      }
      break;
    case ChannelKind::kWebhook: {
      if (creating || json::member(body, "url")) {
        fields.url = checked_url(body, "url", policy);
        describe(fields, "url");
      }
      const auto* secrets = json::member(body, "secrets");
      if (creating && !secrets)
        throw ClientError(unprocessable("secrets is required: one or two whsec_ secrets."));
      if (secrets) {
        if (!secrets->IsArray() || secrets->Size() < 1 || secrets->Size() > 2)
          throw ClientError(unprocessable(
              "secrets must be an array of one or two whsec_ secrets (two while rotating)."));
        std::string joined;
        for (const auto& secret : secrets->GetArray()) {
          if (!secret.IsString() ||
              !notify::webhook_key(std::string_view(secret.GetString(), secret.GetStringLength())))
            throw ClientError(
                unprocessable("each secret must be whsec_ followed by base64 of 24 to 64 bytes."));
          if (!joined.empty())
            joined += ',';
          joined.append(secret.GetString(), secret.GetStringLength());
        }
        fields.secret = std::move(joined);
        describe(fields,
                 std::to_string(secrets->Size()) + " secret" + (secrets->Size() == 1 ? "" : "s"));
      }
      break;
    }
    case ChannelKind::kPagerDuty: {
      if (json::member(body, "url")) {
        fields.url = checked_url(body, "url", policy);
        describe(fields, "url");
      } else if (creating) {
        fields.url = kPagerDutyEvents;
      }
      const auto key = text_member(body, "routing_key", 1, 64);
      if (creating && !key)
        throw ClientError(unprocessable("routing_key is required."));
      if (key) {
        bool well_formed = key->size() == 32;
        for (const char c : *key)
          well_formed = well_formed && std::isalnum(static_cast<unsigned char>(c)) != 0;
        if (!well_formed)
          throw ClientError(
              unprocessable("routing_key must be PagerDuty's 32-character integration key."));
        fields.secret = *key;
        describe(fields, "routing_key");
      }
      break;
    }
  }
  return fields;
}

std::optional<std::string> document_of(soci::session& sql, std::int64_t id, bool for_update) {
  return document_by_id(sql, kDocument, "notification_channels", "c", id, for_update);
}

}  // namespace

std::string NotificationChannels::list(soci::session& sql, const Page& page) const {
  return newest_first(sql, kDocument, "c", "FROM notification_channels c", page, kNoParameters);
}

std::optional<std::string> NotificationChannels::get(soci::session& sql, std::int64_t id) const {
  return document_of(sql, id, false);
}

Created NotificationChannels::create(soci::session& sql, const json::Value& body,
                                     const audit::Context& who) const {
  static const char* const kKinds[] = {"slack", "webhook", "pagerduty", nullptr};
  const auto kind_name = choice_member(body, "kind", kKinds);
  if (!kind_name)
    throw ClientError(unprocessable("kind is required: slack, webhook or pagerduty."));
  const auto kind = *notify::channel_kind(*kind_name);
  auto fields = read_fields(body, kind, policy_, true);
  const std::string sealed = secrets_.seal(*fields.secret);
  soci::indicator url_ind = fields.url ? soci::i_ok : soci::i_null;
  const std::string url = fields.url.value_or("");
  soci::transaction tx(sql);
  Created created;
  long long id = 0;
  sql << std::string(kInsert) + kDocument, soci::use(*kind_name, "kind"),
      soci::use(*fields.name, "name"), soci::use(url, url_ind, "url"), soci::use(sealed, "sealed"),
      soci::into(id), soci::into(created.document);
  created.id = id;
  audit_.append(
      sql, who,
      audit::Event{
          audit::Action::kAdminNotificationChannelCreate, target_of(id), audit::Outcome::kSuccess,
          "kind " + *kind_name + "; secret sealed under key " + secrets_.sealing_key_id()});
  tx.commit();
  return created;
}

std::optional<std::string> NotificationChannels::update(soci::session& sql,
                                                        const ApiRequest& request, std::int64_t id,
                                                        const json::Value& body,
                                                        const audit::Context& who) const {
  soci::transaction tx(sql);
  const auto current = document_of(sql, id, true);
  if (!current)
    return std::nullopt;
  require_if_match(request, *current);
  const auto kind =
      notify::channel_kind(json::string_member(json::parse(*current), "kind").value_or("webhook"));
  auto fields = read_fields(body, kind.value_or(ChannelKind::kWebhook), policy_, false);
  if (fields.described.empty())
    throw ClientError(unprocessable("Name at least one member to change."));
  const std::string no_text;
  const std::string sealed = fields.secret ? secrets_.seal(*fields.secret) : no_text;
  if (fields.secret)
    fields.described += "; sealed under key " + secrets_.sealing_key_id();
  soci::indicator name_ind = fields.name ? soci::i_ok : soci::i_null;
  soci::indicator url_ind = fields.url ? soci::i_ok : soci::i_null;
  soci::indicator sealed_ind = fields.secret ? soci::i_ok : soci::i_null;
  soci::indicator enabled_ind = fields.enabled ? soci::i_ok : soci::i_null;
  const int enabled = fields.enabled.value_or(0);
  const long long channel = id;
  std::string document;
  sql << std::string(kUpdate) + kDocument,
      soci::use(fields.name ? *fields.name : no_text, name_ind, "name"),
      soci::use(fields.url ? *fields.url : no_text, url_ind, "url"),
      soci::use(sealed, sealed_ind, "sealed"), soci::use(enabled, enabled_ind, "enabled"),
      soci::use(channel, "id"), soci::into(document);
  audit_.append(sql, who,
                audit::Event{audit::Action::kAdminNotificationChannelUpdate, target_of(id),
                             audit::Outcome::kSuccess, fields.described});
  tx.commit();
  return document;
}

bool NotificationChannels::remove(soci::session& sql, std::int64_t id,
                                  const audit::Context& who) const {
  soci::transaction tx(sql);
  const long long channel = id;
  std::string kind;
  sql << "DELETE FROM notification_channels WHERE id = :id RETURNING kind",
      soci::use(channel, "id"), soci::into(kind);
  if (!sql.got_data())
    return false;
  audit_.append(sql, who,
                audit::Event{audit::Action::kAdminNotificationChannelDelete, target_of(id),
                             audit::Outcome::kSuccess, "kind " + kind});
  tx.commit();
  return true;
}

std::optional<std::string> NotificationChannels::test(Database& database, std::int64_t id,
                                                      const audit::Context& who) const {
  struct Stored {
    std::string kind, name, url, sealed;
  };
  const auto stored = database.with_session([&](soci::session& sql) -> std::optional<Stored> {
    const long long channel = id;
    Stored s;
    soci::indicator url_ind = soci::i_ok;
    sql << "SELECT kind, name, url, secret_ciphertext FROM notification_channels WHERE id = :id",
        soci::use(channel, "id"), soci::into(s.kind), soci::into(s.name),
        soci::into(s.url, url_ind), soci::into(s.sealed);
    if (!sql.got_data())
      return std::nullopt;
    if (url_ind != soci::i_ok)
      s.url.clear();
    return s;
  });
  if (!stored)
    return std::nullopt;
  const auto kind = notify::channel_kind(stored->kind).value_or(ChannelKind::kWebhook);
  const auto secret = secrets_.open(stored->sealed);
  notify::Delivery delivery;
  if (!secret) {
    delivery.error = "the channel's secret cannot be opened (sealed under key " +
                     SecretBox::key_id_of(stored->sealed) + ")";
  } else {
    std::string body;
    switch (kind) {
      case ChannelKind::kSlack:
        body = notify::slack_test_message(stored->name);
        break;
      case ChannelKind::kWebhook:
        body = notify::webhook_test_body(utc_now_rfc3339());
        break;
      case ChannelKind::kPagerDuty:
        body = notify::pagerduty_test_event(*secret, id);
        break;
    }
    delivery = notify::deliver(
        notify::Channel{kind, stored->url, *secret}, body,
        "msg_test_" + crypto::to_hex(crypto::sha256(crypto::random_bytes(16))).substr(0, 24),
        policy_, std::chrono::seconds(5));
  }
  const bool sent = delivery.judgement.verdict == notify::Verdict::kSent && secret;
  audit_.record(database, who,
                audit::Event{audit::Action::kAdminNotificationChannelTest, target_of(id),
                             sent ? audit::Outcome::kSuccess : audit::Outcome::kFailure,
                             sent ? "sent" : delivery.error});
  return json::object([&](json::Writer& out) {
    out.Key("sent");
    out.Bool(sent);
    out.Key("status");
    if (delivery.status)
      out.Int64(delivery.status);
    else
      out.Null();
    out.Key("outcome");
    out.String(secret ? notify::to_string(delivery.judgement.verdict) : "unreadable_secret");
    out.Key("error");
    if (delivery.error.empty())
      out.Null();
    else
      json::write(out, delivery.error);
  });
}

}  // namespace faultline::api
