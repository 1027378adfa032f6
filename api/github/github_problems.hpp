#pragma once

// The answers the API gives when GitHub is part of the request.

#include <string>

#include "common/github_client.hpp"
#include "common/problem.hpp"

namespace faultline::api {

// GitHub is down, or answered something we cannot use: 502.
inline Problem github_unavailable(std::string detail) {
  return Problem{502, "Bad Gateway", std::move(detail), "github-unavailable", {}};
}

// GitHub understood and said no (missing rights, a run that cannot be rerun): 422.
inline Problem github_refused(std::string detail) {
  return Problem{422, "Unprocessable Content", std::move(detail), "github-refused", {}};
}

// No token to call GitHub with for this: 409.
inline Problem no_github_token(std::string detail) {
  return Problem{409, "Conflict", std::move(detail), "no-github-token", {}};
}

// GitHub's own words from an error answer, bounded, for a problem's detail.
std::string github_message(const github::Response& response);

}  // namespace faultline::api
