#include "api/dashboard_site.hpp"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "api/conditional.hpp"

namespace faultline::api {
namespace {

const std::string* header(const http::Reply& reply, const std::string& name) {
  for (const auto& [key, value] : reply.headers)
    if (key == name)
      return &value;
  return nullptr;
}

class DashboardSiteTest : public ::testing::Test {
 protected:
  const std::vector<schemas::EmbeddedFile> files_{
      {"index.html", "<!doctype html><script type=module src=/assets/index-1a2b3c.js></script>"},
      {"assets/index-1a2b3c.js", "console.log(1)"},
      {"assets/index-4d5e6f.css", "body{}"},
      {"favicon.svg", "<svg/>"}};
  DashboardSite site_{files_};
};

TEST_F(DashboardSiteTest, EveryPageIsIndexHtmlRevalidatedEachTime) {
  for (const char* path :
       {"/", "/runs", "/runs/30433642", "/incidents", "/incidents/7", "/analytics", "/repositories",
        "/status", "/sessions", "/two-factor", "/notifications", "/sign-in"}) {
    SCOPED_TRACE(path);
    const auto reply = site_.answer(path, "");
    ASSERT_TRUE(reply);
    EXPECT_EQ(reply->status, 200);
    EXPECT_EQ(reply->body, files_[0].text);
    EXPECT_EQ(reply->content_type, "text/html; charset=utf-8");
    EXPECT_EQ(*header(*reply, "Cache-Control"), "no-cache");
    EXPECT_EQ(*header(*reply, "ETag"), etag_of(files_[0].text));
  }
}

TEST_F(DashboardSiteTest, HashedAssetsAreKeptForAYear) {
  const auto script = site_.answer("/assets/index-1a2b3c.js", "");
  ASSERT_TRUE(script);
  EXPECT_EQ(script->body, "console.log(1)");
  EXPECT_EQ(script->content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(*header(*script, "Cache-Control"), "public, max-age=31536000, immutable");
  const auto style = site_.answer("/assets/index-4d5e6f.css", "");
  ASSERT_TRUE(style);
  EXPECT_EQ(style->content_type, "text/css; charset=utf-8");
  // Not content-hashed: revalidated like the page.
  const auto icon = site_.answer("/favicon.svg", "");
  ASSERT_TRUE(icon);
  EXPECT_EQ(icon->content_type, "image/svg+xml");
  EXPECT_EQ(*header(*icon, "Cache-Control"), "no-cache");
}

TEST_F(DashboardSiteTest, AKnownTagIsNotModified) {
  const auto tag = etag_of(files_[0].text);
  const auto reply = site_.answer("/runs", "\"other\", " + tag);
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->status, 304);
  EXPECT_TRUE(reply->body.empty());
  EXPECT_EQ(*header(*reply, "ETag"), tag);
  EXPECT_EQ(site_.answer("/runs", "\"other\"")->status, 200);
}

TEST_F(DashboardSiteTest, ThePolicyAllowsOnlyTheSitesOwnScriptsAndStyles) {
  const auto reply = site_.answer("/", "");
  ASSERT_TRUE(reply);
  const auto* policy = header(*reply, "Content-Security-Policy");
  ASSERT_NE(policy, nullptr);
  EXPECT_NE(policy->find("default-src 'none'"), std::string::npos);
  EXPECT_NE(policy->find("script-src 'self';"), std::string::npos);
  EXPECT_NE(policy->find("style-src 'self';"), std::string::npos);
  EXPECT_NE(policy->find("connect-src 'self';"), std::string::npos);
  EXPECT_NE(policy->find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(policy->find("unsafe"), std::string::npos);
  EXPECT_EQ(*header(*reply, "X-Content-Type-Options"), "nosniff");
}

TEST_F(DashboardSiteTest, OtherPathsAreNotTheDashboards) {
  for (const char* path :
       {"/api/v1/nothing", "/runs/", "/runs/1/jobs", "/incidents/7/", "/index.html", "/assets/",
        "/assets/missing.js", "/assets/../index.html", "/assets/index-1a2b3c.js/", "/RUNS", ""}) {
    SCOPED_TRACE(path);
    EXPECT_FALSE(site_.answer(path, ""));
  }
}

TEST(DashboardSiteWithoutIndex, IsRefusedAtStart) {
  const std::vector<schemas::EmbeddedFile> files{{"assets/a.js", "1"}};
  EXPECT_THROW(DashboardSite{files}, std::invalid_argument);
}

}  // namespace
}  // namespace faultline::api
