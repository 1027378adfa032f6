#include "api/github/github_repositories.hpp"

#include <map>

#include "api/github/github_problems.hpp"
#include "common/github_call_log.hpp"
#include "common/json.hpp"
#include "common/pg_literal.hpp"

namespace faultline::api {
namespace {

constexpr int kMaxPages = 10;  // 1,000 repositories

// GitHub's own parameters, checked here so a typo is our 400, not GitHub's 422.
std::string github_query(const ApiRequest& request) {
  static const char* const kVisibility[] = {"all", "public", "private", nullptr};
  static const char* const kType[] = {"all", "owner", "public", "private", "member", nullptr};
  static const char* const kSort[] = {"created", "updated", "pushed", "full_name", nullptr};
  static const char* const kDirection[] = {"asc", "desc", nullptr};
  std::string query = "per_page=100";
  auto pass = [&](const char* name, const std::string& value) {
    if (!value.empty())
      query += std::string("&") + name + "=" + url_encode(value);
  };
  pass("visibility", choice_parameter(request, "visibility", kVisibility));
  pass("type", choice_parameter(request, "type", kType));
  pass("sort", choice_parameter(request, "sort", kSort));
  pass("direction", choice_parameter(request, "direction", kDirection));
  if (const auto affiliation = request.query_value("affiliation")) {
    std::size_t start = 0;
    while (start <= affiliation->size()) {
      const auto end = std::min(affiliation->find(',', start), affiliation->size());
      const auto part = affiliation->substr(start, end - start);
      if (part != "owner" && part != "collaborator" && part != "organization_member")
        throw ClientError(bad_request(
            "affiliation must list owner, collaborator or organization_member, comma-separated.",
            "invalid-parameter"));
      start = end + 1;
    }
    pass("affiliation", *affiliation);
  }
  return query;
}

std::vector<std::string> fetch(github::Client& github, const std::string& token,
                               const std::string& query) {
  const github::CallLog::Scope purpose(0, 0, "list-repositories");
  try {
    return github.get_pages(token, "/user/repos?" + query, kMaxPages);
  } catch (const github::GitHubError& e) {
    if (e.status() == 401)
      throw ClientError(Problem{409,
                                "Conflict",
                                "GitHub no longer accepts this connection's token; connect "
                                "GitHub again.",
                                "github-token-rejected",
                                {}});
    if (e.status() >= 400 && e.status() < 500)
      throw ClientError(
          github_refused("GitHub refused the listing (" + std::to_string(e.status()) + ")."));
    throw ClientError(github_unavailable("GitHub could not be reached to list repositories."));
  }
}

}  // namespace

std::string list_github_repositories(github::Client& github, Database& database,
                                     const std::string& token, const ApiRequest& request,
                                     const Page& page) {
  const auto pages = fetch(github, token, github_query(request));
  std::vector<json::Document> documents;
  std::vector<std::int64_t> ids;
  std::vector<const json::Value*> repositories;
  for (const auto& body : pages) {
    documents.push_back(json::parse(body));
    if (!documents.back().IsArray())
      throw ClientError(github_unavailable("GitHub's repository list is not a list."));
    for (const auto& repo : documents.back().GetArray()) {
      repositories.push_back(&repo);
      ids.push_back(json::integer_member(repo, "id").value_or(0));
    }
  }
  std::map<long long, bool> tracked;  // id -> connected
  database.with_session([&](soci::session& sql) {
    const std::string array = pg::array_literal(ids);
    soci::rowset<soci::row> rows =
        (sql.prepare
             << "SELECT id, connected::int FROM repositories WHERE id = ANY(:ids::bigint[])",
         soci::use(array, "ids"));
    for (const auto& row : rows)
      tracked[row.get<long long>(0)] = row.get<int>(1) == 1;
  });

  const auto total = static_cast<std::int64_t>(repositories.size());
  const auto first = std::min<std::int64_t>(page.offset(), total);
  const auto last = std::min<std::int64_t>(first + page.size, total);
  const std::string items = json::array([&](json::Writer& out) {
    for (auto i = first; i < last; ++i) {
      const auto& repo = *repositories[static_cast<std::size_t>(i)];
      const long long id = json::integer_member(repo, "id").value_or(0);
      out.StartObject();
      out.Key("id");
      out.Int64(id);
      for (const char* key :
           {"full_name", "description", "default_branch", "html_url", "pushed_at", "updated_at"}) {
        out.Key(key);
        json::write(out, json::string_member(repo, key));
      }
      out.Key("private");
      const auto* is_private = json::member(repo, "private");
      out.Bool(is_private && is_private->IsBool() && is_private->GetBool());
      out.Key("admin");
      const auto* permissions = json::object_member(repo, "permissions");
      const auto* admin = permissions ? json::member(*permissions, "admin") : nullptr;
      out.Bool(admin && admin->IsBool() && admin->GetBool());
      const auto found = tracked.find(id);
      out.Key("tracked");
      out.Bool(found != tracked.end());
      out.Key("connected");
      out.Bool(found != tracked.end() && found->second);
      out.EndObject();
    }
  });
  return page_document(items, total, page);
}

}  // namespace faultline::api
