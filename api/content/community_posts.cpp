#include "api/content/community_posts.hpp"

#include "api/json_body.hpp"
#include "api/sql_time.hpp"

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
  const long long limit = page.size, offset = page.offset();
  long long total = 0;
  sql << "SELECT count(*) FROM community_posts", soci::into(total);
  std::string items;
  sql << std::string(
             "SELECT COALESCE(json_agg(doc::json ORDER BY created_at DESC, id DESC), "
             "'[]')::text FROM (SELECT ") +
             kDocument +
             " AS doc, c.created_at, c.id FROM community_posts c"
             " ORDER BY c.created_at DESC, c.id DESC LIMIT :limit OFFSET :offset) AS page",
      soci::use(limit, "limit"), soci::use(offset, "offset"), soci::into(items);
  return page_document(items, total, page);
}

std::optional<std::string> get_post(soci::session& sql, std::int64_t id) {
  const long long post = id;
  std::string document;
  sql << std::string("SELECT ") + kDocument + " FROM community_posts c WHERE c.id = :id",
      soci::use(post, "id"), soci::into(document);
  if (!sql.got_data())
    return std::nullopt;
  return document;
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
