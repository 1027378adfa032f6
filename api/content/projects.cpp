#include "api/content/projects.hpp"

#include "api/conditional.hpp"
#include "api/content/listing.hpp"
#include "api/json_body.hpp"
#include "common/time.hpp"

namespace faultline::api {
namespace {

constexpr std::size_t kNameChars = 200;
constexpr std::size_t kDescriptionChars = 10'000;

constexpr const char* kDocument =
    "json_build_object('id', p.id, 'name', p.name, 'description', p.description,"
    " 'owner_id', p.owner_id, 'created_at', " FAULTLINE_SQL_RFC3339(
        "p.created_at") ", 'updated_at', " FAULTLINE_SQL_RFC3339("p.updated_at") ")::text";

}  // namespace

std::string list_projects(soci::session& sql, const auth::Principal& caller, const Page& page) {
  const long long owner = caller.user_id;
  return newest_first(
      sql, kDocument, "p", "FROM projects p" + visible_to(caller, "p"),
      page, [&](auto&& st) -> auto& { return st, soci::use(owner, "owner"); });
}

std::optional<std::string> get_project(soci::session& sql, const auth::Principal& caller,
                                       std::int64_t id) {
  return owned_document(sql, caller, kDocument, "projects", "p", id, false);
}

Created create_project(soci::session& sql, const auth::Principal& caller, const json::Value& body) {
  const auto name = required_text(body, "name", 1, kNameChars);
  const auto description = text_member(body, "description", 0, kDescriptionChars).value_or("");
  const long long owner = caller.user_id;
  Created created;
  long long id = 0;
  sql << std::string(
             "INSERT INTO projects AS p (owner_id, name, description)"
             " VALUES (:owner, :name, :description) RETURNING p.id, ") +
             kDocument,
      soci::use(owner, "owner"), soci::use(name, "name"), soci::use(description, "description"),
      soci::into(id), soci::into(created.document);
  created.id = id;
  return created;
}

std::optional<std::string> update_project(soci::session& sql, const ApiRequest& request,
                                          std::int64_t id, const json::Value& body) {
  require_any_member(body, {"name", "description"});
  const auto name = text_member(body, "name", 1, kNameChars);
  const auto description = text_member(body, "description", 0, kDescriptionChars);
  soci::transaction tx(sql);
  const auto current = owned_document(sql, request.user(), kDocument, "projects", "p", id, true);
  if (!current)
    return std::nullopt;
  require_if_match(request, *current);
  const long long project = id;
  soci::indicator name_given = name ? soci::i_ok : soci::i_null;
  soci::indicator description_given = description ? soci::i_ok : soci::i_null;
  const std::string no_text;
  std::string document;
  sql << std::string(
             "UPDATE projects AS p SET name = COALESCE(:name, p.name),"
             " description = COALESCE(:description, p.description), updated_at = now()"
             " WHERE p.id = :id RETURNING ") +
             kDocument,
      soci::use(name ? *name : no_text, name_given, "name"),
      soci::use(description ? *description : no_text, description_given, "description"),
      soci::use(project, "id"), soci::into(document);
  tx.commit();
  return document;
}

bool delete_project(soci::session& sql, const ApiRequest& request, std::int64_t id) {
  soci::transaction tx(sql);
  const auto current = owned_document(sql, request.user(), kDocument, "projects", "p", id, true);
  if (!current)
    return false;
  require_if_match(request, *current);
  const long long project = id;
  sql << "DELETE FROM projects WHERE id = :id", soci::use(project, "id");
  tx.commit();
  return true;
}

}  // namespace faultline::api
