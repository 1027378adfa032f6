#pragma once

// Idempotency-Key for POST and PATCH (draft-ietf-httpapi-idempotency-key-header):
// the first request with a key runs and its answer is kept; a retry with the
// same key and body gets that answer again; the same key with another body is
// 422; a retry while the first is still running is 409. Keys are scoped to
// the user and the endpoint (method and path) and kept 24 hours.

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "api/api_request.hpp"
#include "common/database.hpp"
#include "common/http.hpp"
#include "common/metrics.hpp"

namespace faultline::api {

inline constexpr std::chrono::hours kIdempotencyKeyLifetime{24};
// A first request still unanswered after this long died with its process;
// the key is then free again (no handler runs anywhere near this long).
inline constexpr std::chrono::seconds kIdempotencyAbandonedAfter{60};

// The request's Idempotency-Key, if any; a ClientError 400 when it is empty,
// longer than 255 characters or not printable ASCII.
std::optional<std::string> idempotency_key(const ApiRequest& request);

class Idempotency {
 public:
  Idempotency(Database& database, metrics::Registry& registry);

  // Runs `handle` unless this user already sent `key` to this endpoint.
  http::Reply run(const ApiRequest& request, const std::string& key,
                  const std::function<http::Reply()>& handle);

  // Deletes keys older than kIdempotencyKeyLifetime; returns how many.
  long long remove_expired();

 private:
  Database& database_;
  metrics::Registry& registry_;
};

}  // namespace faultline::api
