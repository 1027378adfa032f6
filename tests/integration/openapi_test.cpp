// schemas/openapi.yaml against the router: every route served is documented,
// every documented route is served, and the access rules agree. Paths marked
// `x-faultline-service: ingest` are faultline-ingest's, held to what it serves.

#include <gtest/gtest.h>

#include <set>

#include "api/api_server.hpp"
#include "common/json.hpp"
#include "ingest/gitlab_webhook.hpp"
#include "ingest/webhook.hpp"
#include "schemas/embedded.hpp"
#include "tests/support/api_process.hpp"
#include "tests/support/environment.hpp"
#include "tests/support/http_client.hpp"

namespace faultline::testing {
namespace {

// "/api/v1/projects/:id" as OpenAPI writes it: "/api/v1/projects/{id}".
std::string openapi_path(const std::string& route) {
  std::string out;
  std::size_t at = 0;
  while (at < route.size()) {
    const auto colon = route.find(':', at);
    if (colon == std::string::npos) {
      out.append(route, at, std::string::npos);
      break;
    }
    out.append(route, at, colon - at);
    auto end = route.find('/', colon);
    if (end == std::string::npos)
      end = route.size();
    out.push_back('{');
    out.append(route, colon + 1, end - colon - 1);
    out.push_back('}');
    at = end;
  }
  return out;
}

// A path faultline-ingest serves rather than faultline-api.
bool served_by_ingest(const json::Value& item) {
  return json::string_member(item, "x-faultline-service") == "ingest";
}

std::string lower(std::string text) {
  for (auto& c : text)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

class OpenApiDocument : public ::testing::Test {
 protected:
  OpenApiDocument() : document_(json::parse(schemas::openapi_json())) {
    const Environment env({{"FAULTLINE_DATABASE_URL", database_.url()},
                           {"FAULTLINE_JWT_SECRET", kTestJwtSecret},
                           {"FAULTLINE_ENCRYPTION_KEY", std::string(64, 'a')}});
    settings_ = api::ApiSettings::from(env);
    database_handle_ = std::make_unique<Database>(settings_.database);
    secrets_ = std::make_unique<SecretBox>(SecretBox::from(env));
    github_ = std::make_unique<github::Client>(github::ClientSettings::from(env));
    server_ = std::make_unique<api::ApiServer>(settings_, *database_handle_, registry_, *secrets_,
                                               *github_);
  }

  const json::Value* operation(const std::string& path, const std::string& method) const {
    const auto* item = json::object_member(document_["paths"], path.c_str());
    return item ? json::object_member(*item, method.c_str()) : nullptr;
  }

  TestDatabase database_;
  json::Document document_;
  api::ApiSettings settings_;
  std::unique_ptr<Database> database_handle_;
  metrics::Registry registry_;
  std::unique_ptr<SecretBox> secrets_;
  std::unique_ptr<github::Client> github_;
  std::unique_ptr<api::ApiServer> server_;
};

TEST_F(OpenApiDocument, IsOpenApi31) {
  EXPECT_EQ(json::string_member(document_, "openapi"), "3.1.0");
  EXPECT_TRUE(json::object_member(document_, "paths"));
}

TEST_F(OpenApiDocument, DocumentsEveryRouteServedWithItsAccessRule) {
  ASSERT_GT(server_->routes().size(), 30u);
  for (const auto& route : server_->routes()) {
    const auto path = openapi_path(route.path);
    const auto* op = operation(path, lower(route.method));
    ASSERT_TRUE(op) << route.method << " " << path << " is served but not documented";
    const auto& responses = (*op)["responses"];
    const auto* security = json::member(*op, "security");
    const bool documented_public = security && security->IsArray() && security->Empty();
    EXPECT_EQ(documented_public, route.access == api::Access::kPublic)
        << route.method << " " << path << ": the document's security disagrees with the router";
    if (route.access != api::Access::kPublic) {
      EXPECT_TRUE(responses.HasMember("401")) << route.method << " " << path << " lacks 401";
    }
    if (route.access == api::Access::kAdmin) {
      EXPECT_TRUE(responses.HasMember("403")) << route.method << " " << path << " lacks 403";
    }
    bool success = false;
    for (const auto& [status, unused] : responses.GetObject())
      success = success || status.GetString()[0] == '2';
    EXPECT_TRUE(success) << route.method << " " << path << " documents no success";
  }
}

TEST_F(OpenApiDocument, ServesEveryRouteDocumented) {
  std::set<std::pair<std::string, std::string>> served;
  for (const auto& route : server_->routes())
    served.emplace(openapi_path(route.path), lower(route.method));
  for (const auto& [path, item] : document_["paths"].GetObject()) {
    if (served_by_ingest(item))
      continue;
    for (const auto& [method, unused] : item.GetObject())
      EXPECT_TRUE(served.count({path.GetString(), method.GetString()}))
          << method.GetString() << " " << path.GetString() << " is documented but not served";
  }
}

// What faultline-ingest serves besides the /health, /ready and /metrics it
// shares with faultline-api: POST at its two webhook paths.
TEST_F(OpenApiDocument, DocumentsIngestsWebhooksAsIngestsOnly) {
  const std::set<std::string> webhooks{std::string(ingest::kWebhookPath),
                                       std::string(ingest::kGitLabWebhookPath)};
  std::set<std::string> ingest_paths;
  for (const auto& [path, item] : document_["paths"].GetObject()) {
    if (!served_by_ingest(item))
      continue;
    ingest_paths.insert(path.GetString());
    const auto* servers = json::member(item, "servers");
    EXPECT_TRUE(servers && servers->IsArray() && !servers->Empty())
        << path.GetString() << " is ingest's but has no servers entry of its own";
    for (const auto& [method, unused] : item.GetObject()) {
      const std::string name = method.GetString();
      if (name == "servers" || name.rfind("x-", 0) == 0)
        continue;
      EXPECT_EQ(name, "post") << path.GetString() << ": ingest serves no such operation";
    }
  }
  EXPECT_EQ(ingest_paths, webhooks);
  for (const auto& webhook : webhooks) {
    const auto* post = operation(webhook, "post");
    ASSERT_TRUE(post) << "POST " << webhook << " is not documented";
    const auto* security = json::member(*post, "security");
    EXPECT_TRUE(security && security->IsArray() && security->Empty())
        << "POST " << webhook << " takes no access token";
    for (const char* status : {"202", "400", "401", "413", "503"})
      EXPECT_TRUE((*post)["responses"].HasMember(status))
          << "POST " << webhook << " lacks " << status;
  }
  const auto* github = operation(std::string(ingest::kWebhookPath), "post");
  ASSERT_TRUE(github);
  EXPECT_TRUE((*github)["responses"].HasMember("200")) << "GitHub's ping is answered 200";
}

TEST(OpenApiServed, GetOpenApiJsonIsTheDocument) {
  TestDatabase database;
  ApiProcess api(database);
  HttpClient client;
  const auto response = client.get(api.base() + "/openapi.json");
  ASSERT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.at("content-type"), "application/json");
  EXPECT_EQ(response.body, std::string(schemas::openapi_json()));
  EXPECT_EQ(
      client.get(api.base() + "/openapi.json", {"If-None-Match: " + response.headers.at("etag")})
          .status,
      304);
}

}  // namespace
}  // namespace faultline::testing
