#pragma once

#include <string>
#include <vector>

#include "common/config.hpp"

namespace faultline::api {

// What connecting GitHub needs: the OAuth App, where GitHub lives, and where
// GitHub can reach this deployment.
struct GitHubSettings {
  std::string oauth_client_id;                 // FAULTLINE_GITHUB_OAUTH_CLIENT_ID
  std::string oauth_client_secret;             // FAULTLINE_GITHUB_OAUTH_CLIENT_SECRET
  std::string web_url = "https://github.com";  // FAULTLINE_GITHUB_WEB_URL
  // Where GitHub sends the browser back (the dashboard's page, which then
  // calls the callback endpoint): FAULTLINE_GITHUB_OAUTH_REDIRECT_URL. Empty:
  // the callback URL registered with the OAuth App.
  std::string oauth_redirect_url;
  std::string oauth_scopes = "repo admin:repo_hook";  // FAULTLINE_GITHUB_OAUTH_SCOPES
  // FAULTLINE_PUBLIC_URL: this deployment as GitHub reaches it; hooks point at
  // <public_url>/webhooks/github. Empty: hooks cannot be created.
  std::string public_url;
  std::string default_token;                 // FAULTLINE_GITHUB_TOKEN
  std::vector<std::string> webhook_secrets;  // FAULTLINE_WEBHOOK_SECRETS; the first derives

  bool oauth_configured() const { return !oauth_client_id.empty() && !oauth_client_secret.empty(); }
  std::string webhook_url() const { return public_url + "/webhooks/github"; }

  static GitHubSettings from(const Environment& env);
};

}  // namespace faultline::api
