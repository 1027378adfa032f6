#pragma once

// The status page: administrators post status events per service; anyone
// reads the current status, computed from each service's latest event and
// from the CI state (a repository with an open incident is degraded until it
// resolves).

#include <string>

#include "api/api_request.hpp"
#include "api/content/listing.hpp"
#include "api/pagination.hpp"
#include "common/json.hpp"
#include "common/soci.hpp"

namespace faultline::api {

struct StatusEventFilter {
  std::string service;  // empty: any
  std::string status;   // empty: any
  std::string since;    // RFC 3339; empty: all time
};

StatusEventFilter parse_status_event_filter(const ApiRequest& request);

Created create_status_event(soci::session& sql, const auth::Principal& caller,
                            const json::Value& body);
std::string list_status_events(soci::session& sql, const StatusEventFilter& filter,
                               const Page& page);
// {"status": overall, "services": [{name, status, message, since, source}]}
std::string current_status(soci::session& sql);

}  // namespace faultline::api
