// The content endpoints of ApiServer: projects, support tickets, community
// posts, the status page and CSP reports.

#include "api/api_server.hpp"
#include "api/conditional.hpp"
#include "api/content/community_posts.hpp"
#include "api/content/csp_reports.hpp"
#include "api/content/projects.hpp"
#include "api/content/status_page.hpp"
#include "api/content/support_tickets.hpp"
#include "api/json_body.hpp"
#include "api/lookup.hpp"
#include "api/pagination.hpp"

namespace faultline::api {
namespace {

std::int64_t id_param(const ApiRequest& request) {
  return positive_integer("id", request.params.at("id"));
}

}  // namespace

void ApiServer::declare_content_routes() {
  auto& routes = routes_;

  routes.get("/api/v1/projects", Access::kUser, [this](const ApiRequest& request) {
    const auto page = parse_page(request);
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      return list_projects(sql, request.user(), page);
    }));
  });
  routes.post("/api/v1/projects", Access::kUser, [this](const ApiRequest& request) {
    const auto body = json_body(request);
    return created_reply("/api/v1/projects", database_.with_session([&](soci::session& sql) {
      return create_project(sql, request.user(), body);
    }));
  });
  routes.get("/api/v1/projects/:id", Access::kUser, [this](const ApiRequest& request) {
    const auto id = id_param(request);
    auto document = database_.with_session(
        [&](soci::session& sql) { return get_project(sql, request.user(), id); });
    return http::json_reply(200,
                            found(std::move(document), "No project " + std::to_string(id) + "."));
  });
  routes.patch("/api/v1/projects/:id", Access::kUser, [this](const ApiRequest& request) {
    const auto id = id_param(request);
    const auto body = json_body(request);
    auto document = database_.with_session(
        [&](soci::session& sql) { return update_project(sql, request, id, body); });
    return tagged_reply(200, found(std::move(document), "No project " + std::to_string(id) + "."));
  });
  routes.remove("/api/v1/projects/:id", Access::kUser, [this](const ApiRequest& request) {
    const auto id = id_param(request);
    if (!database_.with_session(
            [&](soci::session& sql) { return delete_project(sql, request, id); }))
      throw ClientError(not_found("No project " + std::to_string(id) + "."));
    return http::Reply{204, "", "application/json", {}};
  });

  routes.get("/api/v1/support/tickets", Access::kUser, [this](const ApiRequest& request) {
    const auto filter = parse_ticket_filter(request);
    const auto page = parse_page(request);
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      return list_tickets(sql, request.user(), filter, page);
    }));
  });
  routes.post("/api/v1/support/tickets", Access::kUser, [this](const ApiRequest& request) {
    const auto body = json_body(request);
    return created_reply("/api/v1/support/tickets", database_.with_session([&](soci::session& sql) {
      return create_ticket(sql, request.user(), body);
    }));
  });
  routes.get("/api/v1/support/tickets/:id", Access::kUser, [this](const ApiRequest& request) {
    const auto id = id_param(request);
    auto document = database_.with_session(
        [&](soci::session& sql) { return get_ticket(sql, request.user(), id); });
    return http::json_reply(
        200, found(std::move(document), "No support ticket " + std::to_string(id) + "."));
  });
  routes.patch("/api/v1/support/tickets/:id", Access::kUser, [this](const ApiRequest& request) {
    const auto id = id_param(request);
    const auto body = json_body(request);
    auto document = database_.with_session(
        [&](soci::session& sql) { return update_ticket(sql, request, id, body); });
    return tagged_reply(
        200, found(std::move(document), "No support ticket " + std::to_string(id) + "."));
  });

  routes.get("/api/v1/community/posts", Access::kPublic, [this](const ApiRequest& request) {
    const auto page = parse_page(request);
    return http::json_reply(
        200, database_.with_session([&](soci::session& sql) { return list_posts(sql, page); }));
  });
  routes.post("/api/v1/community/posts", Access::kUser, [this](const ApiRequest& request) {
    const auto body = json_body(request);
    return created_reply("/api/v1/community/posts", database_.with_session([&](soci::session& sql) {
      return create_post(sql, request.user(), body);
    }));
  });
  routes.get("/api/v1/community/posts/:id", Access::kPublic, [this](const ApiRequest& request) {
    const auto id = id_param(request);
    auto document = database_.with_session([&](soci::session& sql) { return get_post(sql, id); });
    return http::json_reply(
        200, found(std::move(document), "No community post " + std::to_string(id) + "."));
  });

  routes.get("/api/v1/status", Access::kPublic, [this](const ApiRequest&) {
    auto reply = http::json_reply(
        200, database_.with_session([](soci::session& sql) { return current_status(sql); }));
    // Status pages are read by many, often during an outage: let caches help.
    reply.headers.emplace_back("Cache-Control", "public, max-age=15");
    return reply;
  });
  routes.get("/api/v1/status/events", Access::kUser, [this](const ApiRequest& request) {
    const auto filter = parse_status_event_filter(request);
    const auto page = parse_page(request);
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      return list_status_events(sql, filter, page);
    }));
  });
  routes.post("/api/v1/status/events", Access::kAdmin, [this](const ApiRequest& request) {
    const auto who = audit::context_of(request);
    const auto created =
        audit_.failures_of(database_, who, audit::Action::kAdminStatusEventCreate, "", [&] {
          const auto body = json_body(request);
          return database_.with_session([&](soci::session& sql) {
            soci::transaction tx(sql);
            auto event = create_status_event(sql, request.user(), body);
            audit_.append(sql, who,
                          audit::Event{audit::Action::kAdminStatusEventCreate,
                                       "status_event:" + std::to_string(event.id),
                                       audit::Outcome::kSuccess, ""});
            tx.commit();
            return event;
          });
        });
    return created_reply("/api/v1/status/events", created);
  });

  routes.post("/api/v1/security/csp-report", Access::kPublic, [this](const ApiRequest& request) {
    return auth_.limited(auth_.settings().csp_reports, request, [&] {
      const auto reports = parse_csp_reports(request);
      database_.with_session(
          [&](soci::session& sql) { store_csp_reports(sql, reports, request.user_agent()); });
      for (const auto& report : reports)
        registry_
            .counter("faultline_api_csp_reports_total",
                     "CSP violation reports received, by directive",
                     {{"directive", report.directive}})
            .increment();
      return http::Reply{204, "", "application/json", {}};
    });
  });
}

}  // namespace faultline::api
