// The notification endpoints of ApiServer, for administrators: channels
// (secrets sealed, never returned), their test message, rules, and the
// deliveries of an incident's changes.

#include "api/api_server.hpp"
#include "api/conditional.hpp"
#include "api/json_body.hpp"
#include "api/lookup.hpp"
#include "api/notifications/incident_notifications.hpp"
#include "api/pagination.hpp"

namespace faultline::api {
namespace {

std::int64_t id_of(const ApiRequest& request) {
  return positive_integer("id", request.params.at("id"));
}

std::string no_channel(std::int64_t id) {
  return "No notification channel " + std::to_string(id) + ".";
}

std::string no_rule(std::int64_t id) {
  return "No notification rule " + std::to_string(id) + ".";
}

}  // namespace

void ApiServer::declare_notification_routes() {
  auto& routes = routes_;
  using audit::Action;

  routes.get("/api/v1/notification-channels", Access::kAdmin, [this](const ApiRequest& request) {
    const auto page = parse_page(request);
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      return notification_channels_.list(sql, page);
    }));
  });
  routes.post("/api/v1/notification-channels", Access::kAdmin, [this](const ApiRequest& request) {
    const auto who = audit::context_of(request);
    const auto created =
        audit_.failures_of(database_, who, Action::kAdminNotificationChannelCreate, "", [&] {
          const auto body = json_body(request);
          return database_.with_session(
              [&](soci::session& sql) { return notification_channels_.create(sql, body, who); });
        });
    return created_reply("/api/v1/notification-channels", created);
  });
  routes.get("/api/v1/notification-channels/:id", Access::kAdmin,
             [this](const ApiRequest& request) {
               const auto id = id_of(request);
               return http::json_reply(200, found(database_.with_session([&](soci::session& sql) {
                                         return notification_channels_.get(sql, id);
                                       }),
                                                  no_channel(id)));
             });
  routes.patch("/api/v1/notification-channels/:id", Access::kAdmin,
               [this](const ApiRequest& request) {
                 const auto id = id_of(request);
                 const auto who = audit::context_of(request);
                 return audit_.failures_of(
                     database_, who, Action::kAdminNotificationChannelUpdate,
                     "notification_channel:" + std::to_string(id), [&] {
                       const auto body = json_body(request);
                       return tagged_reply(
                           200, found(database_.with_session([&](soci::session& sql) {
                             return notification_channels_.update(sql, request, id, body, who);
                           }),
                                      no_channel(id)));
                     });
               });
  routes.remove(
      "/api/v1/notification-channels/:id", Access::kAdmin, [this](const ApiRequest& request) {
        const auto id = id_of(request);
        const auto who = audit::context_of(request);
        return audit_.failures_of(database_, who, Action::kAdminNotificationChannelDelete,
                                  "notification_channel:" + std::to_string(id), [&] {
                                    if (!database_.with_session([&](soci::session& sql) {
                                          return notification_channels_.remove(sql, id, who);
                                        }))
                                      throw ClientError(not_found(no_channel(id)));
                                    return http::Reply{204, "", "application/json", {}};
                                  });
      });
  routes.post(
      "/api/v1/notification-channels/:id/test", Access::kAdmin, [this](const ApiRequest& request) {
        const auto id = id_of(request);
        const auto who = audit::context_of(request);
        return audit_.failures_of(
            database_, who, Action::kAdminNotificationChannelTest,
            "notification_channel:" + std::to_string(id), [&] {
              return http::json_reply(
                  200, found(notification_channels_.test(database_, id, who), no_channel(id)));
            });
      });

  routes.get("/api/v1/notification-rules", Access::kAdmin, [this](const ApiRequest& request) {
    const auto page = parse_page(request);
    const auto channel = request.query_value("channel_id");
    const std::int64_t channel_id =
        channel && !channel->empty() ? positive_integer("channel_id", *channel) : 0;
    return http::json_reply(200, database_.with_session([&](soci::session& sql) {
      return notification_rules_.list(sql, channel_id, page);
    }));
  });
  routes.post("/api/v1/notification-rules", Access::kAdmin, [this](const ApiRequest& request) {
    const auto who = audit::context_of(request);
    const auto created =
        audit_.failures_of(database_, who, Action::kAdminNotificationRuleCreate, "", [&] {
          const auto body = json_body(request);
          return database_.with_session(
              [&](soci::session& sql) { return notification_rules_.create(sql, body, who); });
        });
    return created_reply("/api/v1/notification-rules", created);
  });
  routes.get("/api/v1/notification-rules/:id", Access::kAdmin, [this](const ApiRequest& request) {
    const auto id = id_of(request);
    return http::json_reply(200, found(database_.with_session([&](soci::session& sql) {
                              return notification_rules_.get(sql, id);
                            }),
                                       no_rule(id)));
  });
  routes.patch("/api/v1/notification-rules/:id", Access::kAdmin, [this](const ApiRequest& request) {
    const auto id = id_of(request);
    const auto who = audit::context_of(request);
    return audit_.failures_of(
        database_, who, Action::kAdminNotificationRuleUpdate,
        "notification_rule:" + std::to_string(id), [&] {
          const auto body = json_body(request);
          return tagged_reply(200, found(database_.with_session([&](soci::session& sql) {
                                return notification_rules_.update(sql, request, id, body, who);
                              }),
                                         no_rule(id)));
        });
  });
  routes.remove("/api/v1/notification-rules/:id", Access::kAdmin,
                [this](const ApiRequest& request) {
                  const auto id = id_of(request);
                  const auto who = audit::context_of(request);
                  return audit_.failures_of(database_, who, Action::kAdminNotificationRuleDelete,
                                            "notification_rule:" + std::to_string(id), [&] {
                                              if (!database_.with_session([&](soci::session& sql) {
                                                    return notification_rules_.remove(sql, id, who);
                                                  }))
                                                throw ClientError(not_found(no_rule(id)));
                                              return http::Reply{204, "", "application/json", {}};
                                            });
                });

  routes.get("/api/v1/incidents/:id/notifications", Access::kAdmin,
             [this](const ApiRequest& request) {
               const auto id = id_of(request);
               const auto page = parse_page(request);
               return http::json_reply(200, found(database_.with_session([&](soci::session& sql) {
                                         return incident_notifications(sql, id, page);
                                       }),
                                                  "No incident " + std::to_string(id) + "."));
             });
}

}  // namespace faultline::api
