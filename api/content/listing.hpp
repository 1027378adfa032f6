#pragma once

// What the content resources share: who sees which rows, one row as its
// document, and a page of rows newest first.
//
// `bind` adds a statement's parameters: it takes the statement being built
// (`sql << query`) and returns it with soci::use(...) applied. It is called
// once per statement because SOCI binds each name once per statement.

#include <cstdint>
#include <optional>
#include <string>

#include "api/auth/principal.hpp"
#include "api/pagination.hpp"
#include "common/http.hpp"
#include "common/soci.hpp"

namespace faultline::api {

// A row just inserted: its id (for Location) and its document.
struct Created {
  std::int64_t id = 0;
  std::string document;
};

// The 201 for it: its document with its ETag and Location `collection`/id.
http::Reply created_reply(const std::string& collection, const Created& created);

// " WHERE <alias>.owner_id = :owner" for a user, " WHERE true" for an
// administrator. Chosen here, never from input, so each shape has its own plan.
std::string visible_to(const auth::Principal& caller, const std::string& alias);

// An owned row (`table alias`, with owner_id and id) as `document`, if the
// caller may see it; locked for a change when `for_update`.
std::optional<std::string> owned_document(soci::session& sql, const auth::Principal& caller,
                                          const std::string& document, const std::string& table,
                                          const std::string& alias, std::int64_t id,
                                          bool for_update);

// A row of `table alias` by id as `document`, whoever asks (the caller
// checked the access); locked for a change when `for_update`.
std::optional<std::string> document_by_id(soci::session& sql, const std::string& document,
                                          const std::string& table, const std::string& alias,
                                          std::int64_t id, bool for_update);

// Binds nothing.
inline constexpr auto kNoParameters = [](auto&& statement) -> auto& {
  return statement;
};

// The first column of the one row `query` finds, or nothing.
template <typename Bind>
std::optional<std::string> one_document(soci::session& sql, const std::string& query, Bind bind) {
  std::string document;
  bind(sql << query), soci::into(document);
  if (!sql.got_data())
    return std::nullopt;
  return document;
}

// {items,total,page,page_size,pages}: `document` (SQL text over `alias`) for
// the rows `from_where` ("FROM ... WHERE ...") chooses, newest first by
// created_at, then id.
template <typename Bind>
std::string newest_first(soci::session& sql, const std::string& document, const std::string& alias,
                         const std::string& from_where, const Page& page, Bind bind) {
  long long total = 0;
  bind(sql << "SELECT count(*) " + from_where), soci::into(total);
  const long long limit = page.size, offset = page.offset();
  const std::string order = alias + ".created_at DESC, " + alias + ".id DESC";
  std::string items;
  bind(sql << "SELECT COALESCE(json_agg(doc::json ORDER BY created_at DESC, id DESC), '[]')::text"
              " FROM (SELECT " +
                  document + " AS doc, " + alias + ".created_at, " + alias + ".id " + from_where +
                  " ORDER BY " + order + " LIMIT :limit OFFSET :offset) AS page"),
      soci::use(limit, "limit"), soci::use(offset, "offset"), soci::into(items);
  return page_document(items, total, page);
}

}  // namespace faultline::api
