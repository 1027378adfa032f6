#pragma once

// The normalized events of ci.pull_request.v1 (schemas/events/pull_request.v1.json):
// GitHub's `pull_request` deliveries, every action, with what says where a pull
// request stands. Fix proposals are tracked by them (opened as drafts on a
// `faultline/fix-…` branch; merged or closed by a person), and partners may
// read them as they read runs.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/events.hpp"
#include "common/json.hpp"

namespace faultline::events {

struct PullRequest {
  std::int64_t id = 0;
  std::int64_t number = 0;
  std::string state;  // open or closed
  bool draft = false;
  bool merged = false;  // closed by a merge
  OptionalText title;
  OptionalText html_url;
  OptionalText head_ref;    // head.ref: the branch it would merge
  OptionalText head_sha;    // head.sha
  OptionalText base_ref;    // base.ref
  OptionalText user_login;  // user.login
  OptionalText created_at;
  OptionalText updated_at;
  OptionalText closed_at;
  OptionalText merged_at;
};

struct PullRequestEvent {
  Envelope envelope;
  PullRequest pull_request;
};

// GitHub's pull_request object, or our event's, which keeps GitHub's names.
PullRequest read_pull_request(const json::Value& object);

std::string to_json(const PullRequestEvent& event);
PullRequestEvent parse_pull_request_event(std::string_view text);

}  // namespace faultline::events
