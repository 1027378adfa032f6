#pragma once

#include "api/api_request.hpp"
#include "common/json.hpp"

namespace faultline::api {

// The request's body as a JSON object: 415 unless it says application/json,
// 400 (naming the problem) unless it is one object.
json::Document json_body(const ApiRequest& request);

}  // namespace faultline::api
