#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_request.hpp"
#include "api/pagination.hpp"
#include "common/soci.hpp"

namespace faultline::api {

struct IncidentFilter {
  std::string state;       // open, acknowledged, resolved; empty: any
  std::string repository;  // owner/name; empty: any
};

// Reads the filters; an unknown state or malformed repository is a ClientError 400.
IncidentFilter parse_incident_filter(const ApiRequest& request);

// GET /api/v1/incidents: newest first.
std::string list_incidents(soci::session& sql, const IncidentFilter& filter, const Page& page);

// GET /api/v1/incidents/{id}: with its runs and every GitHub call made for it.
std::optional<std::string> get_incident(soci::session& sql, std::int64_t id);

// POST .../acknowledge and .../resolve (by a person). Idempotent: acting on an
// incident already in that state changes nothing. Acknowledging a resolved
// incident is a ClientError 409. Nothing if the incident does not exist.
std::optional<std::string> acknowledge_incident(soci::session& sql, std::int64_t id);
std::optional<std::string> resolve_incident(soci::session& sql, std::int64_t id);

// GET /api/v1/reconciliations: newest first, with the incidents they led to.
std::string list_reconciliations(soci::session& sql, const Page& page);

}  // namespace faultline::api
