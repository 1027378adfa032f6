#pragma once

#include <string>

#include "api/api_request.hpp"
#include "api/pagination.hpp"
#include "common/database.hpp"
#include "common/github_client.hpp"

namespace faultline::api {

// GET /api/v1/repositories/github: the repositories the connected user can
// see on GitHub (GET /user/repos, every page followed, up to 1,000), with
// GitHub's sort and filter parameters passed through and whether Faultline
// already tracks each one.
std::string list_github_repositories(github::Client& github, Database& database,
                                     const std::string& token, const ApiRequest& request,
                                     const Page& page);

}  // namespace faultline::api
