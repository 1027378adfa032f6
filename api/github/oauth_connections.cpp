#include "api/github/oauth_connections.hpp"

#include "api/api_request.hpp"
#include "api/github/github_problems.hpp"
#include "api/pagination.hpp"
#include "common/base64.hpp"
#include "common/crypto.hpp"
#include "common/github_call_log.hpp"
#include "common/json.hpp"
#include "common/log.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

const std::string kProvider = "github";

// Only the hash is stored: a database read does not hand out live states.
std::string state_hash(const std::string& state) {
  return crypto::to_hex(crypto::sha256(state));
}

constexpr const char* kConnectionDocument =
    "json_build_object('provider', c.provider, 'account_id', c.account_id,"
    " 'login', c.account_login, 'scopes', c.scopes,"
    " 'connected_at', " FAULTLINE_SQL_RFC3339("c.connected_at") ","
    " 'updated_at', " FAULTLINE_SQL_RFC3339("c.updated_at") ","
    " 'repositories', (SELECT count(*) FROM repositories r WHERE r.token_user_id = c.user_id))";

Problem invalid_state(std::string detail) {
  return Problem{400, "Bad Request", std::move(detail), "invalid-oauth-state", {}};
}

}  // namespace

void OAuthConnections::require_configured() const {
  if (!settings_.oauth_configured())
    throw ClientError(Problem{503,
                              "Service Unavailable",
                              "GitHub sign-in is not configured on this server.",
                              "github-oauth-not-configured",
                              {}});
}

std::string OAuthConnections::authorize(std::int64_t user_id) const {
  require_configured();
  const std::string state = base64url_encode(crypto::random_bytes(32));
  const long long user = user_id;
  const std::string hash = state_hash(state);
  std::string expires_at;
  database_.with_session([&](soci::session& sql) {
    sql << "INSERT INTO oauth_states (state_hash, user_id, provider, expires_at)"
           " VALUES (:hash, :user, :provider, now() + interval '10 minutes')"
           " RETURNING " FAULTLINE_SQL_RFC3339("expires_at"),
        soci::use(hash, "hash"), soci::use(user, "user"), soci::use(kProvider, "provider"),
        soci::into(expires_at);
  });
  std::string url = settings_.web_url +
                    "/login/oauth/authorize?client_id=" + url_encode(settings_.oauth_client_id) +
                    "&scope=" + url_encode(settings_.oauth_scopes) + "&state=" + url_encode(state) +
                    "&allow_signup=false";
  if (!settings_.oauth_redirect_url.empty())
    url += "&redirect_uri=" + url_encode(settings_.oauth_redirect_url);
  return json::object([&](json::Writer& out) {
    out.Key("authorization_url");
    json::write(out, url);
    out.Key("state");
    json::write(out, state);
    out.Key("expires_at");
    json::write(out, expires_at);
  });
}

std::string OAuthConnections::complete(std::int64_t user_id, const std::string& code,
                                       const std::string& state, const audit::Context& who) const {
  require_configured();
  const long long user = user_id;
  // Single use: the state is gone whatever happens next.
  const std::string hash = state_hash(state);
  int fresh = 0;
  const bool known = database_.with_session([&](soci::session& sql) {
    sql << "DELETE FROM oauth_states WHERE state_hash = :hash AND user_id = :user"
           " AND provider = :provider RETURNING (expires_at > now())::int",
        soci::use(hash, "hash"), soci::use(user, "user"), soci::use(kProvider, "provider"),
        soci::into(fresh);
    return sql.got_data();
  });
  if (!known)
    throw ClientError(invalid_state(
        "The state is unknown: it was already used, or was issued to someone else. Start the "
        "connection again."));
  if (!fresh)
    throw ClientError(invalid_state(
        "The state has expired (it is valid for 10 minutes). Start the connection again."));

  const github::CallLog::Scope purpose(0, 0, "oauth");
  const std::string token = exchange_code(code);

  const auto me = github_.request(token, "GET", "/user");
  if (me.status != 200)
    throw ClientError(github_unavailable("Fetching the GitHub user: " + github_message(me)));
  const auto account = json::parse(me.body);
  const long long account_id = json::integer_member(account, "id").value_or(0);
  const std::string login(json::string_member(account, "login").value_or(""));
  if (account_id <= 0 || login.empty())
    throw ClientError(github_unavailable("GitHub did not say who the token belongs to."));
  const auto scopes_header = me.headers.find("x-oauth-scopes");
  const std::string scopes = scopes_header == me.headers.end() ? "" : scopes_header->second;

  const std::string sealed = secrets_.seal(token);
  auto document = database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    sql << "INSERT INTO oauth_connections (user_id, provider, account_id, account_login, scopes,"
           " token_ciphertext) VALUES (:user, :provider, :account, :login, :scopes, :sealed)"
           " ON CONFLICT (user_id, provider) DO UPDATE SET account_id = excluded.account_id,"
           " account_login = excluded.account_login, scopes = excluded.scopes,"
           " token_ciphertext = excluded.token_ciphertext, updated_at = now()",
        soci::use(user, "user"), soci::use(kProvider, "provider"), soci::use(account_id, "account"),
        soci::use(login, "login"), soci::use(scopes, "scopes"), soci::use(sealed, "sealed");
    audit_.append(
        sql, who,
        audit::Event{audit::Action::kGithubConnect, "user:" + std::to_string(user_id),
                     audit::Outcome::kSuccess,
                     "GitHub account " + login + " (" + std::to_string(account_id) + "), scopes " +
                         scopes + "; token sealed under key " + secrets_.sealing_key_id()});
    tx.commit();
    return get(user_id);
  });
  log::info("GitHub connected",
            {{"user_id", user_id}, {"github_login", login}, {"key_id", secrets_.sealing_key_id()}});
  return document.value_or("{}");
}

std::string OAuthConnections::exchange_code(const std::string& code) const {
  github::Request request;
  request.method = "POST";
  request.url = settings_.web_url + "/login/oauth/access_token";
  request.accept = "application/json";
  request.content_type = "application/x-www-form-urlencoded";
  request.body = "client_id=" + url_encode(settings_.oauth_client_id) +
                 "&client_secret=" + url_encode(settings_.oauth_client_secret) +
                 "&code=" + url_encode(code);
  if (!settings_.oauth_redirect_url.empty())
    request.body += "&redirect_uri=" + url_encode(settings_.oauth_redirect_url);
  request.record_response = false;  // it holds the token
  github::Response response;
  try {
    response = github_.send(request);
  } catch (const github::GitHubError& e) {
    throw ClientError(github_unavailable("Exchanging the code: GitHub could not be reached."));
  }
  json::Document answer;
  try {
    answer = json::parse(response.body);
  } catch (const json::ParseError&) {
  }
  if (response.status != 200 || !answer.IsObject())
    throw ClientError(github_unavailable("Exchanging the code: GitHub answered " +
                                         std::to_string(response.status) + "."));
  // GitHub reports a refused exchange with 200 and an `error` member.
  if (const auto error = json::string_member(answer, "error")) {
    const auto description = json::string_member(answer, "error_description");
    throw ClientError(Problem{400,
                              "Bad Request",
                              "GitHub refused the code (" + std::string(error->substr(0, 100)) +
                                  "): " + std::string(description.value_or("").substr(0, 300)),
                              "oauth-code-rejected",
                              {}});
  }
  const auto token = json::string_member(answer, "access_token");
  if (!token || token->empty())
    throw ClientError(github_unavailable("Exchanging the code: GitHub gave no token."));
  return std::string(*token);
}

std::string OAuthConnections::list(std::int64_t user_id) const {
  const long long user = user_id;
  std::string items;
  database_.with_session([&](soci::session& sql) {
    sql << std::string("SELECT COALESCE(json_agg(") + kConnectionDocument +
               " ORDER BY c.provider), '[]')::text FROM oauth_connections c WHERE c.user_id = "
               ":user",
        soci::use(user, "user"), soci::into(items);
  });
  const auto parsed = json::parse(items);
  const Page everything{1, 100};
  return page_document(items, parsed.Size(), everything);
}

std::optional<std::string> OAuthConnections::get(std::int64_t user_id) const {
  const long long user = user_id;
  return database_.with_session([&](soci::session& sql) -> std::optional<std::string> {
    std::string document;
    sql << std::string("SELECT ") + kConnectionDocument +
               "::text FROM oauth_connections c WHERE c.user_id = :user AND c.provider = :provider",
        soci::use(user, "user"), soci::use(kProvider, "provider"), soci::into(document);
    if (!sql.got_data())
      return std::nullopt;
    return document;
  });
}

std::optional<std::string> OAuthConnections::token(soci::session& sql, std::int64_t user_id) const {
  const long long user = user_id;
  std::string sealed;
  sql << "SELECT token_ciphertext FROM oauth_connections WHERE user_id = :user"
         " AND provider = :provider",
      soci::use(user, "user"), soci::use(kProvider, "provider"), soci::into(sealed);
  if (!sql.got_data())
    return std::nullopt;
  auto token = secrets_.open(sealed);
  if (!token)
    log::warn("cannot decrypt a GitHub connection's token",
              {{"user_id", user_id}, {"key_id", SecretBox::key_id_of(sealed)}});
  return token;
}

bool OAuthConnections::disconnect(std::int64_t user_id, const audit::Context& who) const {
  const auto stored =
      database_.with_session([&](soci::session& sql) { return token(sql, user_id); });
  const long long user = user_id;
  const bool exists = database_.with_session([&](soci::session& sql) {
    int one = 0;
    sql << "SELECT 1 FROM oauth_connections WHERE user_id = :user AND provider = :provider",
        soci::use(user, "user"), soci::use(kProvider, "provider"), soci::into(one);
    return sql.got_data();
  });
  if (!exists)
    return false;
  if (stored && settings_.oauth_configured()) {
    github::Request request;
    request.method = "DELETE";
    request.url = "/applications/" + url_encode(settings_.oauth_client_id) + "/token";
    request.authorization =
        "Basic " + base64_encode(settings_.oauth_client_id + ":" + settings_.oauth_client_secret);
    request.body = json::object([&](json::Writer& out) {
      out.Key("access_token");
      json::write(out, *stored);
    });
    const github::CallLog::Scope purpose(0, 0, "oauth-revoke");
    github::Response response;
    try {
      response = github_.send(request);
    } catch (const github::GitHubError& e) {
      throw ClientError(
          github_unavailable("Revoking the token: GitHub could not be reached; still connected."));
    }
    // 404/422: GitHub no longer knows the token (revoked there already).
    if (response.status != 204 && response.status != 404 && response.status != 422)
      throw ClientError(github_unavailable("Revoking the token: " + github_message(response) +
                                           " Still connected."));
  }
  database_.with_session([&](soci::session& sql) {
    soci::transaction tx(sql);
    sql << "UPDATE repositories SET token_user_id = NULL, updated_at = now()"
           " WHERE token_user_id = :user",
        soci::use(user, "user");
    sql << "DELETE FROM oauth_connections WHERE user_id = :user AND provider = :provider",
        soci::use(user, "user"), soci::use(kProvider, "provider");
    audit_.append(
        sql, who,
        audit::Event{audit::Action::kGithubDisconnect, "user:" + std::to_string(user_id),
                     audit::Outcome::kSuccess,
                     stored && settings_.oauth_configured() ? "token revoked at GitHub and removed"
                                                            : "token removed"});
    tx.commit();
  });
  log::info("GitHub disconnected", {{"user_id", user_id}});
  return true;
}

std::size_t OAuthConnections::remove_expired_states(soci::session& sql) {
  soci::statement st =
      (sql.prepare << "DELETE FROM oauth_states WHERE expires_at < now() - interval '1 hour'");
  st.execute(true);
  return static_cast<std::size_t>(st.get_affected_rows());
}

}  // namespace faultline::api
