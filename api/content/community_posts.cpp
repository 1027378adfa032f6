#include "api/content/community_posts.hpp"

#include "api/content/listing.hpp"
#include "api/json_body.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

constexpr std::size_t kTitleChars = 200;
constexpr std::size_t kBodyChars = 20'000;

// Authors are shown by id: an email address is not for the public.
constexpr const char* kDocument =
    "json_build_object('id', c.id, 'title', c.title, 'body', c.body, 'author_id', c.author_id,"
    " 'created_at', " FAULTLINE_SQL_RFC3339("c.created_at") ")::text";

}  // namespace

std::string list_posts(soci::session& sql, const Page& page) {
  return newest_first(sql, kDocument, "c", "FROM community_posts c WHERE true", page,
                      kNoParameters);
}

std::optional<std::string> get_post(soci::session& sql, std::int64_t id) {
  const long long post = id;
  return one_document(
      sql, std::string("SELECT ") + kDocument + " FROM community_posts c WHERE c.id = :id",
      [&](auto&& st) -> auto& { return st, soci::use(post, "id"); });
}

Created create_post(soci::session& sql, const auth::Principal& caller, const json::Value& body) {
  const auto title = required_text(body, "title", 1, kTitleChars);
  const auto text = required_text(body, "body", 1, kBodyChars);
  const long long author = caller.user_id;
  Created created;
  long long id = 0;
  sql << std::string(
             "INSERT INTO community_posts AS c (author_id, title, body)"
             " VALUES (:author, :title, :body) RETURNING c.id, ") +
             kDocument,
      soci::use(author, "author"), soci::use(title, "title"), soci::use(text, "body"),
      soci::into(id), soci::into(created.document);
  created.id = id;
  return created;
}

}  // namespace faultline::api
