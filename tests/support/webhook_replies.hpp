#pragma once

#include <string>

#include "common/http.hpp"
#include "ingest/webhook.hpp"

namespace faultline::testing {

// The reply of an outcome that should be one (a test failure otherwise).
http::Reply reply_of(const ingest::WebhookOutcome& outcome);

// Checks the reply is a problem+json with `status` whose detail leaks no
// exception text; returns the detail.
std::string problem_detail(const http::Reply& reply, int status);

// The problem's type, urn:faultline:problem:<kind>.
std::string problem_type(const http::Reply& reply);

}  // namespace faultline::testing
