#include "api/repositories.hpp"

#include <regex>

#include "api/github/github_problems.hpp"
#include "common/github_call_log.hpp"
#include "common/problem.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

// Never the token: only where it would come from.
constexpr const char* kDocument =
    "json_build_object('id', abs(r.id), 'provider', r.provider, 'full_name', r.full_name,"
    " 'connected', r.connected,"
    " 'open_issues', r.open_issues, 'reconcile', r.reconcile, 'hook_id', r.hook_id,"
    " 'fix_proposals', r.fix_proposals,"
    " 'hook_managed', r.hook_managed,"
    " 'token_source', COALESCE((SELECT t.source FROM repository_tokens t"
    "   WHERE t.repository_id = r.id), CASE WHEN :default_token::int = 1 THEN 'default'"
    "   ELSE 'none' END),"
    " 'first_seen', " FAULTLINE_SQL_RFC3339("r.first_seen") ", 'last_seen', " FAULTLINE_SQL_RFC3339(
        "r.last_seen") ")";

constexpr const char* kUpdate =
    "UPDATE repositories SET"
    " connected = CASE WHEN :connect::int = 1 THEN true ELSE connected END,"
    " token_ciphertext = CASE WHEN :token_given::int = 1 THEN :sealed ELSE token_ciphertext END,"
    " hook_id = CASE WHEN :hook_given::int = 1 THEN :hook::bigint ELSE hook_id END,"
    " open_issues = COALESCE(:open_issues::int::boolean, open_issues),"
    " reconcile = COALESCE(:reconcile::int::boolean, reconcile),"
    " fix_proposals = COALESCE(:fix_proposals, fix_proposals), updated_at = now()"
    " WHERE id = :id";

// The most recently seen repository of that name, whatever its case.
constexpr const char* kFindByName =
    "SELECT id, connected::int FROM repositories WHERE lower(full_name) = lower(:n)"
    " ORDER BY last_seen DESC LIMIT 1";

// A repository GitHub named; a webhook may have recorded it meanwhile.
constexpr const char* kInsertLookedUp =
    "INSERT INTO repositories (id, full_name) VALUES (:id, :n) ON CONFLICT (id) DO NOTHING";

struct Known {
  long long id = 0;
  int connected = 0;
};

struct GitHubRepository {
  long long id = 0;
  std::string full_name;  // as GitHub spells it
};

struct Changes {
  bool token_given = false;
  std::string sealed;  // empty with token_given: clear it
  bool hook_given = false;
  long long hook_id = 0;
  std::optional<int> open_issues, reconcile;
  std::optional<std::string> fix_proposals;  // off, on_demand, automatic
};

std::optional<int> flag(const json::Value& body, const char* key) {
  const auto* v = json::member(body, key);
  if (!v)
    return std::nullopt;
  if (!v->IsBool())
    throw ClientError(bad_request(std::string(key) + " must be true or false.", "invalid-body"));
  return v->GetBool() ? 1 : 0;
}

Changes read_changes(const json::Value& body, const SecretBox& secrets) {
  Changes c;
  if (const auto* token = json::member(body, "token")) {
    c.token_given = true;
    if (token->IsString()) {
      const std::string value(token->GetString(), token->GetStringLength());
      if (value.empty() || value.size() > 1024)
        throw ClientError(bad_request("token must be 1 to 1024 characters.", "invalid-body"));
      c.sealed = secrets.seal(value);
    } else if (!token->IsNull()) {
      throw ClientError(
          bad_request("token must be a string, or null to remove it.", "invalid-body"));
    }
  }
  if (const auto* hook = json::member(body, "hook_id")) {
    c.hook_given = true;
    if (hook->IsInt64() && hook->GetInt64() > 0)
      c.hook_id = hook->GetInt64();
    else if (!hook->IsNull())
      throw ClientError(bad_request("hook_id must be a positive integer or null.", "invalid-body"));
  }
  c.open_issues = flag(body, "open_issues");
  c.reconcile = flag(body, "reconcile");
  if (const auto* fix = json::member(body, "fix_proposals")) {
    const auto value =
        fix->IsString() ? std::string(fix->GetString(), fix->GetStringLength()) : std::string();
    if (value != "off" && value != "on_demand" && value != "automatic")
      throw ClientError(
          bad_request("fix_proposals must be off, on_demand or automatic.", "invalid-body"));
    c.fix_proposals = value;
  }
  return c;
}

// What a change did, for its audit row: names and flags, never the token.
std::string describe(const Changes& c, const SecretBox& secrets) {
  std::string out;
  const auto add = [&](const std::string& part) { out += (out.empty() ? "" : "; ") + part; };
  if (c.token_given)
    add(c.sealed.empty() ? "token removed" : "token sealed under key " + secrets.sealing_key_id());
  if (c.hook_given)
    add(c.hook_id ? "hook_id " + std::to_string(c.hook_id) : "hook_id removed");
  if (c.open_issues)
    add(std::string("open_issues ") + (*c.open_issues ? "true" : "false"));
  if (c.reconcile)
    add(std::string("reconcile ") + (*c.reconcile ? "true" : "false"));
  if (c.fix_proposals)
    add("fix_proposals " + *c.fix_proposals);
  return out;
}

void apply(soci::session& sql, long long id, const Changes& c, bool connect) {
  const int connect_flag = connect ? 1 : 0, token_given = c.token_given ? 1 : 0,
            hook_given = c.hook_given ? 1 : 0;
  const int open_issues = c.open_issues.value_or(0), reconcile = c.reconcile.value_or(0);
  soci::indicator sealed_ind = c.sealed.empty() ? soci::i_null : soci::i_ok;
  soci::indicator hook_ind = c.hook_id ? soci::i_ok : soci::i_null;
  soci::indicator open_ind = c.open_issues ? soci::i_ok : soci::i_null;
  soci::indicator reconcile_ind = c.reconcile ? soci::i_ok : soci::i_null;
  const std::string fix = c.fix_proposals.value_or("");
  soci::indicator fix_ind = c.fix_proposals ? soci::i_ok : soci::i_null;
  sql << kUpdate, soci::use(connect_flag, "connect"), soci::use(token_given, "token_given"),
      soci::use(c.sealed, sealed_ind, "sealed"), soci::use(hook_given, "hook_given"),
      soci::use(c.hook_id, hook_ind, "hook"), soci::use(open_issues, open_ind, "open_issues"),
      soci::use(reconcile, reconcile_ind, "reconcile"), soci::use(fix, fix_ind, "fix_proposals"),
      soci::use(id, "id");
}

// GET /repos/{full_name}: who the repository is. Not shown to the token: 404;
// GitHub unreachable or any other answer: 502.
GitHubRepository look_up(github::Client& github, const std::string& token,
                         const std::string& full_name) {
  const github::CallLog::Scope purpose(0, 0, "connect");
  github::Response response;
  try {
    response = github.request(token, "GET", "/repos/" + full_name);
  } catch (const github::GitHubError&) {
    throw ClientError(
        github_unavailable("GitHub could not be reached to look up " + full_name + "."));
  }
  if (response.status == 404 || response.status == 401 || response.status == 403)
    throw ClientError(not_found("GitHub does not show " + full_name + " to this token."));
  if (response.status != 200)
    throw ClientError(
        github_unavailable("GitHub answered " + std::to_string(response.status) + "."));
  const auto repo = json::parse(response.body);
  GitHubRepository found{json::integer_member(repo, "id").value_or(0),
                         std::string(json::string_member(repo, "full_name").value_or(full_name))};
  if (found.id <= 0)
    throw ClientError(github_unavailable("GitHub gave no repository id."));
  return found;
}

}  // namespace

std::string Repositories::list(soci::session& sql, const Page& page) const {
  long long total = 0;
  sql << "SELECT count(*) FROM repositories", soci::into(total);
  const long long limit = page.size, offset = page.offset();
  const int default_token = default_token_ ? 1 : 0;
  std::string items;
  sql << std::string(
             "SELECT COALESCE(json_agg(doc ORDER BY full_name), '[]')::text FROM (SELECT ") +
             kDocument +
             " AS doc, r.full_name FROM repositories r ORDER BY lower(r.full_name)"
             " LIMIT :limit OFFSET :offset) AS page",
      soci::use(default_token, "default_token"), soci::use(limit, "limit"),
      soci::use(offset, "offset"), soci::into(items);
  return page_document(items, total, page);
}

std::optional<std::string> Repositories::get(soci::session& sql, std::int64_t id) const {
  const long long repository_id = id;
  const int default_token = default_token_ ? 1 : 0;
  std::string document;
  sql << std::string("SELECT ") + kDocument + "::text FROM repositories r WHERE r.id = :id",
      soci::use(default_token, "default_token"), soci::use(repository_id, "id"),
      soci::into(document);
  if (!sql.got_data())
    return std::nullopt;
  return document;
}

Connected Repositories::connect(Database& database, const json::Value& body, github::Client* github,
                                const std::string& lookup_token,
                                std::optional<std::int64_t> token_user_id,
                                const audit::Context& who) const {
  const auto name = json::string_member(body, "full_name");
  static const std::regex kFullName("[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}");
  if (!name || !std::regex_match(name->begin(), name->end(), kFullName))
    throw ClientError(bad_request("full_name must be owner/name.", "invalid-body"));
  const std::string full_name(*name);
  const auto changes = read_changes(body, secrets_);

  const auto known = database.with_session([&](soci::session& sql) -> std::optional<Known> {
    Known found;
    sql << kFindByName, soci::use(full_name, "n"), soci::into(found.id),
        soci::into(found.connected);
    if (!sql.got_data())
      return std::nullopt;
    return found;
  });
  // Not named by any webhook yet: GitHub says who it is, asked with no
  // connection held (its client may wait out rate limits for minutes).
  std::optional<GitHubRepository> looked_up;
  if (!known) {
    const auto* given = json::member(body, "token");
    const std::string token = given && given->IsString() ? given->GetString() : lookup_token;
    if (!github || token.empty())
      throw ClientError(not_found(full_name +
                                  " has not sent a webhook yet; give a token so Faultline can "
                                  "look it up on GitHub."));
    looked_up = look_up(*github, token, full_name);
  }

  return database.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    const long long id = known ? known->id : looked_up->id;
    if (looked_up)
      sql << kInsertLookedUp, soci::use(id, "id"), soci::use(looked_up->full_name, "n");
    apply(sql, id, changes, true);
    if (token_user_id) {
      const long long user = *token_user_id;
      sql << "UPDATE repositories SET token_user_id = :user WHERE id = :id",
          soci::use(user, "user"), soci::use(id, "id");
    }
    std::string canonical_name;
    sql << "SELECT full_name FROM repositories WHERE id = :id", soci::use(id, "id"),
        soci::into(canonical_name);
    auto document = get(sql, id);
    auto reason = canonical_name;
    if (const auto changed = describe(changes, secrets_); !changed.empty())
      reason += "; " + changed;
    if (token_user_id)
      reason += "; token of user " + std::to_string(*token_user_id) + "'s GitHub connection";
    audit_.append(sql, who,
                  audit::Event{audit::Action::kAdminRepositoryConnect, audit::repository_target(id),
                               audit::Outcome::kSuccess, reason});
    tx.commit();
    return Connected{known && known->connected ? 200 : 201, document.value_or("{}"), id,
                     canonical_name};
  });
}

std::optional<std::string> Repositories::update(soci::session& sql, std::int64_t id,
                                                const json::Value& body,
                                                const audit::Context& who) const {
  const auto changes = read_changes(body, secrets_);
  soci::transaction tx(sql);
  auto before = get(sql, id);
  if (!before)
    return std::nullopt;
  apply(sql, id, changes, false);
  auto document = get(sql, id);
  const auto changed = describe(changes, secrets_);
  audit_.append(
      sql, who,
      audit::Event{audit::Action::kAdminRepositoryUpdate, audit::repository_target(id),
                   audit::Outcome::kSuccess, changed.empty() ? "nothing changed" : changed});
  tx.commit();
  return document;
}

void Repositories::record_hook(soci::session& sql, std::int64_t id, std::int64_t hook_id,
                               const audit::Context& who) const {
  const long long repository_id = id, hook = hook_id;
  soci::transaction tx(sql);
  sql << "UPDATE repositories SET hook_id = :hook, hook_managed = true, updated_at = now()"
         " WHERE id = :id",
      soci::use(hook, "hook"), soci::use(repository_id, "id");
  audit_.append(sql, who,
                audit::Event{audit::Action::kAdminWebhookCreate, audit::repository_target(id),
                             audit::Outcome::kSuccess, "hook " + std::to_string(hook_id)});
  tx.commit();
}

std::optional<ManagedHook> Repositories::managed_hook(soci::session& sql, std::int64_t id) const {
  const long long repository_id = id;
  ManagedHook hook;
  sql << "SELECT full_name, hook_id FROM repositories WHERE id = :id AND hook_managed"
         " AND hook_id IS NOT NULL",
      soci::use(repository_id, "id"), soci::into(hook.full_name), soci::into(hook.hook_id);
  if (!sql.got_data())
    return std::nullopt;
  return hook;
}

bool Repositories::disconnect(soci::session& sql, std::int64_t id, const std::string& hook,
                              const audit::Context& who) const {
  const long long repository_id = id;
  soci::transaction tx(sql);
  soci::statement st =
      (sql.prepare << "UPDATE repositories SET connected = false, token_ciphertext = NULL,"
                      " token_user_id = NULL, hook_id = NULL, hook_managed = false,"
                      " updated_at = now() WHERE id = :id",
       soci::use(repository_id, "id"));
  st.execute(true);
  if (st.get_affected_rows() != 1)
    return false;
  audit_.append(
      sql, who,
      audit::Event{audit::Action::kAdminRepositoryDisconnect, audit::repository_target(id),
                   audit::Outcome::kSuccess, "token and hook forgotten; " + hook});
  tx.commit();
  return true;
}

}  // namespace faultline::api
