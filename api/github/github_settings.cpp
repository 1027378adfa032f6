#include "api/github/github_settings.hpp"

#include "common/webhook_secrets.hpp"

namespace faultline::api {
namespace {

std::string base_url(const Environment& env, const char* name, const std::string& fallback) {
  std::string url = env.text(name, fallback);
  while (!url.empty() && url.back() == '/')
    url.pop_back();
  if (!url.empty() && url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0)
    throw ConfigError(std::string(name) + ": expected an http(s) URL, got '" + url + "'");
  return url;
}

}  // namespace

GitHubSettings GitHubSettings::from(const Environment& env) {
  GitHubSettings s;
  s.oauth_client_id = env.text("FAULTLINE_GITHUB_OAUTH_CLIENT_ID", "");
  s.oauth_client_secret = env.text("FAULTLINE_GITHUB_OAUTH_CLIENT_SECRET", "");
  if (s.oauth_client_id.empty() != s.oauth_client_secret.empty())
    throw ConfigError(
        "FAULTLINE_GITHUB_OAUTH_CLIENT_ID and FAULTLINE_GITHUB_OAUTH_CLIENT_SECRET: set both or "
        "neither");
  s.web_url = base_url(env, "FAULTLINE_GITHUB_WEB_URL", s.web_url);
  s.oauth_redirect_url = env.text("FAULTLINE_GITHUB_OAUTH_REDIRECT_URL", "");
  s.oauth_scopes = env.text("FAULTLINE_GITHUB_OAUTH_SCOPES", s.oauth_scopes);
  s.public_url = base_url(env, "FAULTLINE_PUBLIC_URL", "");
  s.default_token = env.text("FAULTLINE_GITHUB_TOKEN", "");
  s.webhook_secrets = faultline::webhook_secrets(env);
  return s;
}

}  // namespace faultline::api
