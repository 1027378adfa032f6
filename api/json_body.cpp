#include "api/json_body.hpp"

#include "common/problem.hpp"

namespace faultline::api {

json::Document json_body(const ApiRequest& request) {
  const auto type = request.headers.find("content-type");
  if (type == request.headers.end() || type->second.rfind("application/json", 0) != 0)
    throw ClientError(Problem{415,
                              "Unsupported Media Type",
                              "Send the body as application/json.",
                              "unsupported-media-type",
                              {}});
  try {
    auto document = json::parse(request.body);
    if (!document.IsObject())
      throw ClientError(bad_request("The body must be a JSON object.", "invalid-body"));
    return document;
  } catch (const json::ParseError& e) {
    throw ClientError(
        bad_request(std::string("The body is not valid JSON: ") + e.what(), "invalid-body"));
  }
}

}  // namespace faultline::api
