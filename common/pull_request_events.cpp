#include "common/pull_request_events.hpp"

#include "common/event_fields.hpp"

namespace faultline::events {
namespace {

// GitHub nests the branches (`head.ref`, `head.sha`, `base.ref`) and the
// author (`user.login`); our event keeps them where GitHub has them.
OptionalText nested_text(const json::Value& object, const char* outer, const char* inner,
                         const std::string& path) {
  const json::Value* nested = json::member(object, outer);
  if (!nested || nested->IsNull())
    return std::nullopt;
  return Fields(nested, path + "." + outer).optional_text(inner);
}

}  // namespace

PullRequest read_pull_request(const json::Value& object) {
  const std::string path = "pull_request";
  Fields f(&object, path);
  PullRequest pr;
  pr.id = f.positive("id");
  pr.number = f.positive("number");
  pr.state = f.text("state");
  pr.draft = f.boolean("draft", false);
  pr.merged = f.boolean("merged", false);
  pr.title = f.optional_text("title");
  pr.html_url = f.optional_text("html_url");
  pr.head_ref = nested_text(object, "head", "ref", path);
  pr.head_sha = nested_text(object, "head", "sha", path);
  pr.base_ref = nested_text(object, "base", "ref", path);
  pr.user_login = nested_text(object, "user", "login", path);
  pr.created_at = f.timestamp("created_at");
  pr.updated_at = f.timestamp("updated_at");
  pr.closed_at = f.timestamp("closed_at");
  pr.merged_at = f.timestamp("merged_at");
  // GitHub's webhooks always say `merged`; a closed pull request with a merge time was merged.
  if (pr.merged_at && pr.state == "closed")
    pr.merged = true;
  return pr;
}

std::string to_json(const PullRequestEvent& event) {
  const auto& pr = event.pull_request;
  return json::object([&](json::Writer& out) {
    write_github_envelope(out, event.envelope);
    out.Key("pull_request");
    out.StartObject();
    out.Key("id");
    out.Int64(pr.id);
    out.Key("number");
    out.Int64(pr.number);
    out.Key("state");
    json::write(out, pr.state);
    out.Key("draft");
    out.Bool(pr.draft);
    out.Key("merged");
    out.Bool(pr.merged);
    write_text(out, "title", pr.title);
    write_text(out, "html_url", pr.html_url);
    out.Key("head");
    out.StartObject();
    write_text(out, "ref", pr.head_ref);
    write_text(out, "sha", pr.head_sha);
    out.EndObject();
    out.Key("base");
    out.StartObject();
    write_text(out, "ref", pr.base_ref);
    out.EndObject();
    out.Key("user");
    out.StartObject();
    write_text(out, "login", pr.user_login);
    out.EndObject();
    write_text(out, "created_at", pr.created_at);
    write_text(out, "updated_at", pr.updated_at);
    write_text(out, "closed_at", pr.closed_at);
    write_text(out, "merged_at", pr.merged_at);
    out.EndObject();
  });
}

PullRequestEvent parse_pull_request_event(std::string_view text) {
  const auto document = parse_object(text);
  return PullRequestEvent{read_github_envelope(document),
                          read_pull_request(json::member_or_null(document, "pull_request"))};
}

}  // namespace faultline::events
