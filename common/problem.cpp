#include "common/problem.hpp"

#include "common/json.hpp"

namespace faultline {

std::string Problem::to_json() const {
  return json::object([&](json::Writer& out) {
    out.Key("type");
    json::write(out, kind.empty() ? std::string("about:blank") : "urn:faultline:problem:" + kind);
    out.Key("title");
    json::write(out, title);
    out.Key("status");
    out.Int(status);
    if (!detail.empty()) {
      out.Key("detail");
      json::write(out, detail);
    }
    for (const auto& [key, value] : extensions) {
      json::write(out, key);
      json::write(out, value);
    }
  });
}

Problem bad_request(std::string detail, std::string kind) {
  return Problem{400, "Bad Request", std::move(detail), std::move(kind), {}};
}

Problem not_found(std::string detail) {
  return Problem{404, "Not Found", std::move(detail), "not-found", {}};
}

Problem unprocessable(std::string detail, std::string kind) {
  return Problem{422, "Unprocessable Content", std::move(detail), std::move(kind), {}};
}

Problem internal_error() {
  return Problem{
      500, "Internal Server Error", "The server could not complete the request.", "internal", {}};
}

}  // namespace faultline
