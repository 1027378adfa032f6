#pragma once

// /api/v1/community/posts: anyone reads, signed-in users write. Text is kept
// exactly as given and only ever served inside JSON, never as HTML.

#include <cstdint>
#include <optional>
#include <string>

#include "api/content/listing.hpp"
#include "api/pagination.hpp"
#include "common/json.hpp"
#include "common/soci.hpp"

namespace faultline::api {

std::string list_posts(soci::session& sql, const Page& page);
std::optional<std::string> get_post(soci::session& sql, std::int64_t id);
Created create_post(soci::session& sql, const auth::Principal& caller, const json::Value& body);

}  // namespace faultline::api
