#pragma once

// /api/v1/projects: a user's projects. Owners see and change their own;
// administrators see and change everyone's. Anyone else's id is 404.

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_request.hpp"
#include "api/content/listing.hpp"
#include "api/pagination.hpp"
#include "common/json.hpp"
#include "common/soci.hpp"

namespace faultline::api {

std::string list_projects(soci::session& sql, const auth::Principal& caller, const Page& page);
std::optional<std::string> get_project(soci::session& sql, const auth::Principal& caller,
                                       std::int64_t id);
Created create_project(soci::session& sql, const auth::Principal& caller, const json::Value& body);
// nullopt: no such project for this caller. A stale If-Match is a 412.
std::optional<std::string> update_project(soci::session& sql, const ApiRequest& request,
                                          std::int64_t id, const json::Value& body);
bool delete_project(soci::session& sql, const ApiRequest& request, std::int64_t id);

}  // namespace faultline::api
