// The API's JSON request bodies: any bytes as a body, read the way every
// endpoint reads them. Bad input is a ClientError (a 4xx), never a crash.

#include <cstddef>
#include <cstdint>
#include <string>

#include "api/api_request.hpp"
#include "api/json_body.hpp"
#include "common/problem.hpp"

using namespace faultline;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  api::ApiRequest request;
  request.method = "POST";
  request.path = "/api/v1/projects";
  request.headers["content-type"] = "application/json";
  request.body.assign(reinterpret_cast<const char*>(data), size);
  static const char* const kStatuses[] = {"open", "closed", nullptr};
  try {
    const auto body = api::json_body(request);
    api::text_member(body, "name", 1, 200);
    api::text_member(body, "description", 0, 5000);
    api::choice_member(body, "status", kStatuses);
    api::require_any_member(body, {"name", "description", "status"});
  } catch (const ClientError& e) {
    if (e.problem().status < 400 || e.problem().status >= 500)
      std::abort();
  }
  // The form reader of the token endpoint takes the same bytes.
  api::parse_form(request.body);
  return 0;
}
