#include "api/dashboard_site.hpp"

#include <array>
#include <stdexcept>
#include <utility>

#include "api/conditional.hpp"

namespace faultline::api {

namespace {

// No inline script or style, no eval, nothing from another origin; reports
// of what the policy blocked go to the API's own collector.
constexpr const char* kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'; report-uri /api/v1/security/csp-report";

constexpr const char* kImmutable = "public, max-age=31536000, immutable";
constexpr const char* kRevalidate = "no-cache";

// Pages whose path is the name alone, and those followed by one id.
constexpr std::array<std::string_view, 10> kPages{
    "/",       "/runs",     "/incidents",  "/analytics",     "/repositories",
    "/status", "/sessions", "/two-factor", "/notifications", "/sign-in"};
constexpr std::array<std::string_view, 2> kPagesWithId{"/runs/", "/incidents/"};

std::string content_type_of(std::string_view path) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kTypes{{
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".json", "application/json"},
      {".webmanifest", "application/manifest+json"},
      {".txt", "text/plain; charset=utf-8"},
  }};
  for (const auto& [extension, type] : kTypes)
    if (path.size() > extension.size() && path.substr(path.size() - extension.size()) == extension)
      return std::string(type);
  return "application/octet-stream";
}

}  // namespace

DashboardSite::DashboardSite(const std::vector<schemas::EmbeddedFile>& files) {
  for (const auto& file : files) {
    const std::string name(file.name);
    File served{file.text, content_type_of(name), etag_of(file.text),
                name.rfind("assets/", 0) == 0 ? kImmutable : kRevalidate};
    if (name == "index.html")
      index_ = std::move(served);
    else
      assets_.emplace("/" + name, std::move(served));
  }
  if (!index_)
    throw std::invalid_argument("the dashboard's files hold no index.html");
}

bool DashboardSite::is_page(std::string_view path) {
  for (const auto page : kPages)
    if (path == page)
      return true;
  for (const auto prefix : kPagesWithId)
    if (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
        path.find('/', prefix.size()) == std::string_view::npos)
      return true;
  return false;
}

std::optional<http::Reply> DashboardSite::answer(std::string_view path,
                                                 std::string_view if_none_match) const {
  if (is_page(path))
    return reply_for(*index_, if_none_match);
  if (const auto asset = assets_.find(path); asset != assets_.end())
    return reply_for(asset->second, if_none_match);
  return std::nullopt;
}

http::Reply DashboardSite::reply_for(const File& file, std::string_view if_none_match) {
  http::Reply reply{200, std::string(file.body), file.content_type, {}};
  if (!if_none_match.empty() && none_match_fails(if_none_match, file.etag)) {
    reply.status = 304;
    reply.body.clear();
  }
  reply.headers = {{"ETag", file.etag},
                   {"Cache-Control", file.cache_control},
                   {"Content-Security-Policy", kContentSecurityPolicy},
                   {"X-Content-Type-Options", "nosniff"},
                   {"Referrer-Policy", "no-referrer"},
                   {"Cross-Origin-Opener-Policy", "same-origin"}};
  return reply;
}

}  // namespace faultline::api
