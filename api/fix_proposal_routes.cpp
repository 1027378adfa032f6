// The fix proposal endpoints of ApiServer. Without a model
// (FAULTLINE_FIX_MODEL_URL unset) each answers 503 fix-proposals-disabled:
// the processors' fixer role is off too, so nothing would ever be proposed.

#include "api/api_server.hpp"
#include "api/fix_proposals.hpp"
#include "api/lookup.hpp"
#include "api/pagination.hpp"

namespace faultline::api {
namespace {

Problem disabled() {
  return Problem{503,
                 "Service Unavailable",
                 "Fix proposals are disabled: no language model is configured "
                 "(FAULTLINE_FIX_MODEL_URL).",
                 "fix-proposals-disabled",
                 {}};
}

}  // namespace

void ApiServer::declare_fix_proposal_routes() {
  auto& routes = routes_;
  const bool enabled = settings_.fix_proposals_enabled;
  const auto when_enabled = [enabled](Handler handler) -> Handler {
    return [enabled, handler = std::move(handler)](const ApiRequest& request) {
      if (!enabled)
        throw ClientError(disabled());
      return handler(request);
    };
  };

  routes.get("/api/v1/fix-proposals", Access::kUser,
             when_enabled([this](const ApiRequest& request) {
               const auto filter = parse_fix_proposal_filter(request);
               const auto page = parse_page(request);
               return http::json_reply(200, database_.with_session([&](soci::session& sql) {
                 return list_fix_proposals(sql, filter, page);
               }));
             }));
  routes.get("/api/v1/incidents/:id/fix-proposals", Access::kUser,
             when_enabled([this](const ApiRequest& request) {
               const auto id = positive_integer("id", request.params.at("id"));
               const auto page = parse_page(request);
               auto document = database_.with_session(
                   [&](soci::session& sql) { return incident_fix_proposals(sql, id, page); });
               return http::json_reply(
                   200,
                   found(std::move(document), "No incident " + std::to_string(id) + " is known."));
             }));
  routes.post("/api/v1/incidents/:id/fix-proposals", Access::kUser,
              when_enabled([this](const ApiRequest& request) {
                const auto id = positive_integer("id", request.params.at("id"));
                const auto who = audit::context_of(request);
                return audit_.failures_of(
                    database_, who, audit::Action::kFixProposalRequest,
                    "incident:" + std::to_string(id), [&] {
                      const auto requested = database_.with_session([&](soci::session& sql) {
                        return request_fix_proposal(sql, id, request.principal->user_id, audit_,
                                                    who);
                      });
                      return http::json_reply(requested.created ? 202 : 200, requested.document);
                    });
              }));
  routes.get("/api/v1/analytics/fix-proposals", Access::kUser,
             when_enabled([this](const ApiRequest& request) {
               const auto filter = parse_fix_analytics_filter(request);
               return http::json_reply(200, database_.with_session([&](soci::session& sql) {
                 return fix_proposal_analytics(sql, filter);
               }));
             }));
}

}  // namespace faultline::api
