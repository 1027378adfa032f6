#pragma once

// /api/v1/support/tickets: a user's tickets. Owners see their own and may
// change status and priority; administrators see all and may also assign.

#include <cstdint>
#include <optional>
#include <string>

#include "api/api_request.hpp"
#include "api/content/listing.hpp"
#include "api/pagination.hpp"
#include "common/json.hpp"
#include "common/soci.hpp"

namespace faultline::api {

struct TicketFilter {
  std::string status;    // empty: any
  std::string priority;  // empty: any
};

TicketFilter parse_ticket_filter(const ApiRequest& request);

std::string list_tickets(soci::session& sql, const auth::Principal& caller,
                         const TicketFilter& filter, const Page& page);
std::optional<std::string> get_ticket(soci::session& sql, const auth::Principal& caller,
                                      std::int64_t id);
Created create_ticket(soci::session& sql, const auth::Principal& caller, const json::Value& body);
std::optional<std::string> update_ticket(soci::session& sql, const ApiRequest& request,
                                         std::int64_t id, const json::Value& body);

}  // namespace faultline::api
