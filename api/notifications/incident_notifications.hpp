#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/pagination.hpp"
#include "common/soci.hpp"

namespace faultline::api {

// GET /api/v1/incidents/{id}/notifications: every delivery of the incident's
// changes, oldest first, each with its channel and every attempt; nothing
// when there is no such incident.
std::optional<std::string> incident_notifications(soci::session& sql, std::int64_t incident_id,
                                                  const Page& page);

}  // namespace faultline::api
