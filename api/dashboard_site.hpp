#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/http.hpp"
#include "schemas/embedded.hpp"

namespace faultline::api {

// What faultline-api serves outside /api/: the dashboard, a single-page
// application (api/dashboard/). Its assets have content-hashed names, so a
// browser keeps them for a year without asking again; index.html, the answer
// for every page's path so that a deep link or a reload loads its page, is
// revalidated each time, so a new release is picked up at once. Every answer
// carries a Content-Security-Policy that lets the page run only its own
// scripts and styles and talk only to its own origin.
class DashboardSite {
 public:
  // `files` as dashboard_files() holds them: paths relative to the build
  // output, index.html among them.
  explicit DashboardSite(const std::vector<schemas::EmbeddedFile>& files);

  // The answer to a GET of `path` (no query string), or nullopt when the path
  // is none of the dashboard's (the caller's 404). `if_none_match` is the
  // request's header, empty when absent.
  std::optional<http::Reply> answer(std::string_view path, std::string_view if_none_match) const;

  // The pages' paths, as the router of api/dashboard/src knows them.
  static bool is_page(std::string_view path);

 private:
  struct File {
    std::string_view body;
    std::string content_type;
    std::string etag;
    std::string cache_control;
  };
  static http::Reply reply_for(const File& file, std::string_view if_none_match);

  std::map<std::string, File, std::less<>> assets_;  // by URL path: /assets/index-1a2b.js
  std::optional<File> index_;
};

}  // namespace faultline::api
