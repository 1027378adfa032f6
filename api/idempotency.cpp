#include "api/idempotency.hpp"

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/problem.hpp"

namespace faultline::api {
namespace {

std::string headers_json(const http::Headers& headers) {
  rapidjson::StringBuffer buffer;
  json::Writer out(buffer);
  out.StartArray();
  for (const auto& [name, value] : headers) {
    // Rate-limit and CORS fields describe the moment, not the answer.
    if (name == "Location" || name == "ETag") {
      out.StartArray();
      json::write(out, name);
      json::write(out, value);
      out.EndArray();
    }
  }
  out.EndArray();
  return std::string(buffer.GetString(), buffer.GetSize());
}

http::Headers parse_headers(const std::string& text) {
  http::Headers headers;
  const auto doc = json::parse(text);
  for (const auto& pair : doc.GetArray())
    headers.emplace_back(pair[0].GetString(), pair[1].GetString());
  return headers;
}

}  // namespace

std::optional<std::string> idempotency_key(const ApiRequest& request) {
  const auto header = request.headers.find("idempotency-key");
  if (header == request.headers.end())
    return std::nullopt;
  const auto& key = header->second;
  bool printable = !key.empty() && key.size() <= 255;
  for (const char c : key)
    printable = printable && c > 0x20 && c < 0x7f;
  if (!printable)
    throw ClientError(bad_request("Idempotency-Key must be 1 to 255 printable ASCII characters.",
                                  "invalid-idempotency-key"));
  return key;
}

Idempotency::Idempotency(Database& database, metrics::Registry& registry)
    : database_(database), registry_(registry) {}

http::Reply Idempotency::run(const ApiRequest& request, const std::string& key,
                             const std::function<http::Reply()>& handle) {
  const long long user = request.user().user_id;
  const std::string endpoint = request.method + " " + request.path;
  const std::string fingerprint = crypto::to_hex(crypto::sha256(request.body));
  const long long lifetime = kIdempotencyKeyLifetime.count();
  const long long abandoned = kIdempotencyAbandonedAfter.count();

  const bool first = database_.with_session([&](soci::session& sql) {
    // A key past its lifetime, or left in flight by a process that died,
    // counts as new.
    soci::statement st =
        (sql.prepare << "INSERT INTO idempotency_keys AS k (user_id, endpoint, key, fingerprint)"
                        " VALUES (:user, :endpoint, :key, :fingerprint)"
                        " ON CONFLICT (user_id, endpoint, key) DO UPDATE SET"
                        "   fingerprint = EXCLUDED.fingerprint, status = NULL,"
                        "   content_type = NULL, headers = NULL, body = NULL, created_at = now()"
                        " WHERE k.created_at < now() - make_interval(hours => :lifetime)"
                        "   OR (k.status IS NULL AND k.created_at < now() - make_interval("
                        "       secs => :abandoned))",
         soci::use(user), soci::use(endpoint), soci::use(key), soci::use(fingerprint),
         soci::use(lifetime), soci::use(abandoned));
    st.execute(true);
    return st.get_affected_rows() == 1;
  });
  const auto forget = [&] {
    database_.with_session([&](soci::session& sql) {
      sql << "DELETE FROM idempotency_keys WHERE user_id = :user AND endpoint = :endpoint"
             " AND key = :key",
          soci::use(user), soci::use(endpoint), soci::use(key);
    });
  };

  if (first) {
    http::Reply reply;
    try {
      reply = handle();
    } catch (const ClientError& e) {
      reply = http::error_reply(e);
    } catch (...) {
      forget();  // nothing was answered, so a retry may run it
      throw;
    }
    if (reply.status >= 500) {
      forget();
      return reply;
    }
    const std::string stored_headers = headers_json(reply.headers);
    const int status = reply.status;
    database_.with_session([&](soci::session& sql) {
      sql << "UPDATE idempotency_keys SET status = :status, content_type = :type,"
             " headers = :headers, body = :body"
             " WHERE user_id = :user AND endpoint = :endpoint AND key = :key",
          soci::use(status), soci::use(reply.content_type), soci::use(stored_headers),
          soci::use(reply.body), soci::use(user), soci::use(endpoint), soci::use(key);
    });
    return reply;
  }

  std::string stored_fingerprint, content_type, headers, body;
  int status = 0;
  soci::indicator status_known = soci::i_null, type_known = soci::i_null,
                  headers_known = soci::i_null, body_known = soci::i_null;
  const bool found = database_.with_session([&](soci::session& sql) {
    sql << "SELECT fingerprint, status, content_type, headers, body FROM idempotency_keys"
           " WHERE user_id = :user AND endpoint = :endpoint AND key = :key",
        soci::use(user), soci::use(endpoint), soci::use(key), soci::into(stored_fingerprint),
        soci::into(status, status_known), soci::into(content_type, type_known),
        soci::into(headers, headers_known), soci::into(body, body_known);
    return sql.got_data();
  });
  if (found && stored_fingerprint != fingerprint)
    throw ClientError(Problem{422,
                              "Unprocessable Content",
                              "This Idempotency-Key was used with a different request body.",
                              "idempotency-key-reused",
                              {}});
  if (!found || status_known != soci::i_ok)
    throw ClientError(Problem{409,
                              "Conflict",
                              "A request with this Idempotency-Key is still being processed.",
                              "idempotency-key-in-flight",
                              {}},
                      {{"Retry-After", "1"}});
  registry_.counter("faultline_api_idempotent_replays_total", "Answers replayed for a retried key")
      .increment();
  http::Reply reply{status, body_known == soci::i_ok ? body : "",
                    type_known == soci::i_ok ? content_type : "application/json",
                    headers_known == soci::i_ok ? parse_headers(headers) : http::Headers{}};
  reply.headers.emplace_back("Idempotent-Replayed", "true");
  return reply;
}

long long Idempotency::remove_expired() {
  return database_.with_session([&](soci::session& sql) {
    const long long hours = kIdempotencyKeyLifetime.count();
    soci::statement st = (sql.prepare << "DELETE FROM idempotency_keys"
                                         " WHERE created_at < now() - make_interval(hours => :h)",
                          soci::use(hours));
    st.execute(true);
    return static_cast<long long>(st.get_affected_rows());
  });
}

}  // namespace faultline::api
