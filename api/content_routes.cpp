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
#include "api/pagination.hpp"

namespace faultline::api {
namespace {

http::Reply created_reply(const std::string& collection, const Created& created) {
  auto reply = tagged_reply(201, created.document);
  reply.headers.emplace_back("Location", collection + "/" + std::to_string(created.id));
  return reply;
}

std::int64_t id_param(const ApiRequest& request) {
  return positive_integer("id", request.params.at("id"));
}

// Headers may carry any bytes; what is stored is printable ASCII, bounded.
std::string printable_ascii(const std::string& text, std::size_t max_bytes) {
  std::string out;
  for (const char c : text) {
    if (out.size() == max_bytes)
      break;
    if (c >= 0x20 && c < 0x7f)
      out += c;
  }
  return out;
}

}  // namespace

void ApiServer::declare_content_routes() {
  auto& routes = routes_;
  const auto with_sql = [this](auto&& work) { return database_.with_session(work); };

  routes.get("/api/v1/projects", Access::kUser, [=](const ApiRequest& request) {
    const auto page = parse_page(request);
    return http::json_reply(200, with_sql([&](soci::session& sql) {
                              return list_projects(sql, request.user(), page);
                            }));
  });
  routes.post("/api/v1/projects", Access::kUser, [=](const ApiRequest& request) {
    const auto body = json_body(request);
    return created_reply("/api/v1/projects", with_sql([&](soci::session& sql) {
                           return create_project(sql, request.user(), body);
                         }));
  });
  routes.get("/api/v1/projects/:id", Access::kUser, [=](const ApiRequest& request) {
    const auto id = id_param(request);
    auto document =
        with_sql([&](soci::session& sql) { return get_project(sql, request.user(), id); });
    if (!document)
      throw ClientError(not_found("No project " + std::to_string(id) + "."));
    return http::json_reply(200, std::move(*document));
  });
  routes.patch("/api/v1/projects/:id", Access::kUser, [=](const ApiRequest& request) {
    const auto id = id_param(request);
    const auto body = json_body(request);
    auto document =
        with_sql([&](soci::session& sql) { return update_project(sql, request, id, body); });
    if (!document)
      throw ClientError(not_found("No project " + std::to_string(id) + "."));
    return tagged_reply(200, std::move(*document));
  });
  routes.remove("/api/v1/projects/:id", Access::kUser, [=](const ApiRequest& request) {
    const auto id = id_param(request);
    if (!with_sql([&](soci::session& sql) { return delete_project(sql, request, id); }))
      throw ClientError(not_found("No project " + std::to_string(id) + "."));
    return http::Reply{204, "", "application/json", {}};
  });

  routes.get("/api/v1/support/tickets", Access::kUser, [=](const ApiRequest& request) {
    const auto filter = parse_ticket_filter(request);
    const auto page = parse_page(request);
    return http::json_reply(200, with_sql([&](soci::session& sql) {
                              return list_tickets(sql, request.user(), filter, page);
                            }));
  });
  routes.post("/api/v1/support/tickets", Access::kUser, [=](const ApiRequest& request) {
    const auto body = json_body(request);
    return created_reply("/api/v1/support/tickets", with_sql([&](soci::session& sql) {
                           return create_ticket(sql, request.user(), body);
                         }));
  });
  routes.get("/api/v1/support/tickets/:id", Access::kUser, [=](const ApiRequest& request) {
    const auto id = id_param(request);
    auto document =
        with_sql([&](soci::session& sql) { return get_ticket(sql, request.user(), id); });
    if (!document)
      throw ClientError(not_found("No support ticket " + std::to_string(id) + "."));
    return http::json_reply(200, std::move(*document));
  });
  routes.patch("/api/v1/support/tickets/:id", Access::kUser, [=](const ApiRequest& request) {
    const auto id = id_param(request);
    const auto body = json_body(request);
    auto document =
        with_sql([&](soci::session& sql) { return update_ticket(sql, request, id, body); });
    if (!document)
      throw ClientError(not_found("No support ticket " + std::to_string(id) + "."));
    return tagged_reply(200, std::move(*document));
  });

  routes.get("/api/v1/community/posts", Access::kPublic, [=](const ApiRequest& request) {
    const auto page = parse_page(request);
    return http::json_reply(200,
                            with_sql([&](soci::session& sql) { return list_posts(sql, page); }));
  });
  routes.post("/api/v1/community/posts", Access::kUser, [=](const ApiRequest& request) {
    const auto body = json_body(request);
    return created_reply("/api/v1/community/posts", with_sql([&](soci::session& sql) {
                           return create_post(sql, request.user(), body);
                         }));
  });
  routes.get("/api/v1/community/posts/:id", Access::kPublic, [=](const ApiRequest& request) {
    const auto id = id_param(request);
    auto document = with_sql([&](soci::session& sql) { return get_post(sql, id); });
    if (!document)
      throw ClientError(not_found("No community post " + std::to_string(id) + "."));
    return http::json_reply(200, std::move(*document));
  });

  routes.get("/api/v1/status", Access::kPublic, [=](const ApiRequest&) {
    auto reply =
        http::json_reply(200, with_sql([](soci::session& sql) { return current_status(sql); }));
    // Status pages are read by many, often during an outage: let caches help.
    reply.headers.emplace_back("Cache-Control", "public, max-age=15");
    return reply;
  });
  routes.get("/api/v1/status/events", Access::kUser, [=](const ApiRequest& request) {
    const auto filter = parse_status_event_filter(request);
    const auto page = parse_page(request);
    return http::json_reply(
        200, with_sql([&](soci::session& sql) { return list_status_events(sql, filter, page); }));
  });
  routes.post("/api/v1/status/events", Access::kAdmin, [=](const ApiRequest& request) {
    const auto body = json_body(request);
    return created_reply("/api/v1/status/events", with_sql([&](soci::session& sql) {
                           return create_status_event(sql, request.user(), body);
                         }));
  });

  routes.post("/api/v1/security/csp-report", Access::kPublic, [this](const ApiRequest& request) {
    return auth_.limited(auth_.settings().csp_reports, request, [&] {
      const auto reports = parse_csp_reports(request);
      const auto agent = request.headers.find("user-agent");
      const auto user_agent =
          printable_ascii(agent == request.headers.end() ? "" : agent->second, 512);
      database_.with_session(
          [&](soci::session& sql) { store_csp_reports(sql, reports, user_agent); });
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
