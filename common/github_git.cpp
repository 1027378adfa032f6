#include "common/github_git.hpp"

#include "common/base64.hpp"
#include "common/json.hpp"
#include "common/url_encode.hpp"

namespace faultline::github {
namespace {

// GitHub's answer, which must be one of `wanted`; anything else is an error
// naming what was being done.
json::Document answer(const Response& response, const char* doing, long wanted, long also = 0) {
  if (response.status != wanted && (also == 0 || response.status != also))
    throw GitHubError(std::string(doing) + ": GitHub answered " + std::to_string(response.status),
                      response.status);
  try {
    return json::parse(response.body);
  } catch (const json::ParseError&) {
    throw GitHubError(std::string(doing) + ": GitHub's answer is not JSON", response.status);
  }
}

std::string text_member(const json::Value& object, const char* key, const char* doing) {
  const auto value = json::string_member(object, key);
  if (!value)
    throw GitHubError(std::string(doing) + ": no " + key + " in GitHub's answer", 0);
  return std::string(*value);
}

std::string blob(Client& client, const std::string& token, const std::string& repository,
                 const std::string& text) {
  const auto body = json::object([&](json::Writer& out) {
    out.Key("content");
    json::write(out, base64_encode(text));
    out.Key("encoding");
    out.String("base64");
  });
  const auto made =
      answer(client.request(token, "POST", "/repos/" + repository + "/git/blobs", body),
             "creating a blob", 201);
  return text_member(made, "sha", "creating a blob");
}

std::optional<std::string> existing_branch(Client& client, const std::string& token,
                                           const std::string& repository,
                                           const std::string& branch) {
  const auto response = client.request(
      token, "GET", "/repos/" + repository + "/git/ref/heads/" + url_encode_path(branch));
  if (response.status == 404)
    return std::nullopt;
  const auto ref = answer(response, "reading a branch", 200);
  const auto* target = json::object_member(ref, "object");
  if (!target)
    throw GitHubError("reading a branch: no object in GitHub's answer", 0);
  return text_member(*target, "sha", "reading a branch");
}

}  // namespace

std::optional<std::string> file_at(Client& client, const std::string& token,
                                   const std::string& repository, const std::string& path,
                                   const std::string& ref, std::size_t max_bytes) {
  const auto response = client.request(
      token, "GET",
      "/repos/" + repository + "/contents/" + url_encode_path(path) + "?ref=" + url_encode(ref));
  if (response.status == 404)
    return std::nullopt;
  const auto file = answer(response, "reading a file", 200);
  // A directory is an array; a symlink or submodule says so in `type`.
  if (!file.IsObject() || json::string_member(file, "type") != std::string_view("file"))
    return std::nullopt;
  const auto size = json::integer_member(file, "size");
  if (!size || *size < 0 || static_cast<std::size_t>(*size) > max_bytes)
    return std::nullopt;
  // Over 1 MB GitHub leaves `content` empty ("encoding": "none"): too large anyway.
  if (json::string_member(file, "encoding") != std::string_view("base64"))
    return std::nullopt;
  std::string encoded;
  for (const char c : text_member(file, "content", "reading a file"))
    if (c != '\n' && c != '\r')
      encoded += c;
  auto decoded = base64_decode(encoded);
  if (!decoded)
    throw GitHubError("reading a file: its content is not base64", response.status);
  return decoded;
}

std::string commit_on_new_branch(Client& client, const std::string& token,
                                 const ProposedCommit& commit) {
  const auto& repo = commit.repository;
  if (auto made = existing_branch(client, token, repo, commit.branch))
    return *made;

  const auto base =
      answer(client.request(token, "GET", "/repos/" + repo + "/git/commits/" + commit.base_sha),
             "reading the failing commit", 200);
  const auto* base_tree = json::object_member(base, "tree");
  if (!base_tree)
    throw GitHubError("reading the failing commit: no tree in GitHub's answer", 0);

  std::map<std::string, std::string> blobs;
  for (const auto& [path, text] : commit.files)
    blobs[path] = blob(client, token, repo, text);
  const auto tree_body = json::object([&](json::Writer& out) {
    out.Key("base_tree");
    json::write(out, text_member(*base_tree, "sha", "reading the failing commit"));
    out.Key("tree");
    out.StartArray();
    for (const auto& [path, sha] : blobs) {
      out.StartObject();
      out.Key("path");
      json::write(out, path);
      out.Key("mode");
      out.String("100644");
      out.Key("type");
      out.String("blob");
      out.Key("sha");
      json::write(out, sha);
      out.EndObject();
    }
    out.EndArray();
  });
  const auto tree =
      answer(client.request(token, "POST", "/repos/" + repo + "/git/trees", tree_body),
             "creating a tree", 201);

  const auto commit_body = json::object([&](json::Writer& out) {
    out.Key("message");
    json::write(out, commit.message);
    out.Key("tree");
    json::write(out, text_member(tree, "sha", "creating a tree"));
    out.Key("parents");
    out.StartArray();
    json::write(out, commit.base_sha);
    out.EndArray();
  });
  const auto made =
      answer(client.request(token, "POST", "/repos/" + repo + "/git/commits", commit_body),
             "creating a commit", 201);
  auto sha = text_member(made, "sha", "creating a commit");

  const auto ref_body = json::object([&](json::Writer& out) {
    out.Key("ref");
    json::write(out, "refs/heads/" + commit.branch);
    out.Key("sha");
    json::write(out, sha);
  });
  const auto ref = client.request(token, "POST", "/repos/" + repo + "/git/refs", ref_body);
  if (ref.status == 422) {
    // Made meanwhile (another attempt that crashed after its ref): keep that one.
    if (auto other = existing_branch(client, token, repo, commit.branch))
      return *other;
  }
  answer(ref, "creating the branch", 201);
  return sha;
}

PullRequest draft_pull_request(Client& client, const std::string& token,
                               const std::string& repository, const std::string& branch,
                               const std::string& base, const std::string& title,
                               const std::string& body) {
  const auto owner = repository.substr(0, repository.find('/'));
  const auto listed = answer(client.request(token, "GET",
                                            "/repos/" + repository + "/pulls?state=all&head=" +
                                                url_encode(owner + ":" + branch)),
                             "finding the pull request", 200);
  if (listed.IsArray() && !listed.Empty()) {
    const auto& found = listed[0];
    return PullRequest{json::integer_member(found, "number").value_or(0),
                       text_member(found, "html_url", "finding the pull request"), false};
  }
  const auto request = json::object([&](json::Writer& out) {
    out.Key("title");
    json::write(out, title);
    out.Key("head");
    json::write(out, branch);
    out.Key("base");
    json::write(out, base);
    out.Key("body");
    json::write(out, body);
    out.Key("draft");
    out.Bool(true);
  });
  const auto opened =
      answer(client.request(token, "POST", "/repos/" + repository + "/pulls", request),
             "opening the pull request", 201);
  return PullRequest{json::integer_member(opened, "number").value_or(0),
                     text_member(opened, "html_url", "opening the pull request"), true};
}

}  // namespace faultline::github
