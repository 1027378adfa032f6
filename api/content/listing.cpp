#include "api/content/listing.hpp"

#include "api/conditional.hpp"

namespace faultline::api {

http::Reply created_reply(const std::string& collection, const Created& created) {
  auto reply = tagged_reply(201, created.document);
  reply.headers.emplace_back("Location", collection + "/" + std::to_string(created.id));
  return reply;
}

std::string visible_to(const auth::Principal& caller, const std::string& alias) {
  return caller.admin() ? " WHERE true" : " WHERE " + alias + ".owner_id = :owner";
}

std::optional<std::string> owned_document(soci::session& sql, const auth::Principal& caller,
                                          const std::string& document, const std::string& table,
                                          const std::string& alias, std::int64_t id,
                                          bool for_update) {
  const long long row = id, owner = caller.user_id;
  return one_document(
      sql,
      "SELECT " + document + " FROM " + table + " " + alias + visible_to(caller, alias) + " AND " +
          alias + ".id = :id" + (for_update ? " FOR UPDATE" : ""),
      [&](auto&& st) -> auto& { return st, soci::use(owner, "owner"), soci::use(row, "id"); });
}

std::optional<std::string> document_by_id(soci::session& sql, const std::string& document,
                                          const std::string& table, const std::string& alias,
                                          std::int64_t id, bool for_update) {
  const long long row = id;
  return one_document(
      sql,
      "SELECT " + document + " FROM " + table + " " + alias + " WHERE " + alias + ".id = :id" +
          (for_update ? " FOR UPDATE" : ""),
      [&](auto&& st) -> auto& { return st, soci::use(row, "id"); });
}

}  // namespace faultline::api
