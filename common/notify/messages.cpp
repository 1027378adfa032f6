#include "common/notify/messages.hpp"

#include "common/json.hpp"

namespace faultline::notify {
namespace {

// Slack mrkdwn treats &, < and > as markup; everything else is text.
std::string slack_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '&')
      out += "&amp;";
    else if (c == '<')
      out += "&lt;";
    else if (c == '>')
      out += "&gt;";
    else
      out += c;
  }
  return out;
}

// An event from before run_url was published names only the run (GitHub's).
std::string run_url(const IncidentChange& change, const Links& links) {
  if (change.run_id == 0 || !change.run_url.empty())
    return change.run_url;
  return links.github_web_url + "/" + change.repository + "/actions/runs/" +
         std::to_string(change.run_id);
}

std::string incident_url(const IncidentChange& change, const Links& links) {
  if (links.dashboard_url.empty())
    return "";
  return links.dashboard_url + "/incidents/" + std::to_string(change.incident_id);
}

// "CI failing: build on main in acme/api", "CI recovered: …": the line people read first.
std::string headline(const IncidentChange& change) {
  const std::string where = change.workflow + " on " + change.branch + " in " + change.repository;
  if (change.type == "opened")
    return "CI failing: " + where;
  if (change.type == "recurred")
    return "CI still failing (" + std::to_string(change.occurrences) +
           " failures in a row): " + where;
  if (change.type == "acknowledged")
    return "CI failure acknowledged: " + where;
  if (change.resolution == "flaky")
    return "CI recovered (flaky, passed on a re-run): " + where;
  if (change.resolution == "manual")
    return "CI incident resolved by hand: " + where;
  return "CI recovered: " + where;
}

void write_text_block(json::Writer& out, const std::string& mrkdwn) {
  out.StartObject();
  out.Key("type");
  out.String("section");
  out.Key("text");
  out.StartObject();
  out.Key("type");
  out.String("mrkdwn");
  out.Key("text");
  json::write(out, mrkdwn);
  out.EndObject();
  out.EndObject();
}

// Appended piece by piece: GCC 12 warns (-Wrestrict) about "x" + s + "y" wrongly.
std::string wrapped(std::string_view before, std::string_view text, std::string_view after) {
  std::string out(before);
  out += text;
  out += after;
  return out;
}

// {text, blocks}: the line in bold, then a section for each of `sections` (mrkdwn).
std::string slack_document(const std::string& text, const std::vector<std::string>& sections) {
  return json::object([&](json::Writer& out) {
    out.Key("text");
    json::write(out, text);
    out.Key("blocks");
    out.StartArray();
    write_text_block(out, wrapped("*", slack_escape(text), "*"));
    for (const auto& section : sections)
      write_text_block(out, section);
    out.EndArray();
  });
}

std::string slack_link(const std::string& url, const std::string& label) {
  return wrapped("<", slack_escape(url) + "|" + label, ">");
}

}  // namespace

std::optional<ChannelKind> channel_kind(std::string_view name) {
  if (name == "slack")
    return ChannelKind::kSlack;
  if (name == "webhook")
    return ChannelKind::kWebhook;
  if (name == "pagerduty")
    return ChannelKind::kPagerDuty;
  return std::nullopt;
}

const char* to_string(ChannelKind kind) {
  switch (kind) {
    case ChannelKind::kSlack:
      return "slack";
    case ChannelKind::kWebhook:
      return "webhook";
    case ChannelKind::kPagerDuty:
      return "pagerduty";
  }
  return "unknown";
}

bool notifiable(std::string_view type) {
  return type == "opened" || type == "recurred" || type == "acknowledged" || type == "resolved";
}

IncidentChange IncidentChange::parse(std::string_view event_json) {
  const auto event = json::parse(event_json);
  const auto* data = json::object_member(event, "incident");
  const auto type = json::string_member(event, "type");
  if (!data || !type)
    throw json::ParseError("not an incident event");
  IncidentChange change;
  change.type = std::string(*type);
  change.incident_id = json::integer_member(*data, "id").value_or(0);
  change.repository = std::string(json::string_member(*data, "repository").value_or(""));
  change.workflow =
      std::string(json::string_member(*data, "workflow_name")
                      .value_or(json::string_member(*data, "workflow_key").value_or("")));
  change.branch = std::string(json::string_member(*data, "branch").value_or(""));
  change.state = std::string(json::string_member(*data, "state").value_or(""));
  change.resolution = std::string(json::string_member(*data, "resolution").value_or(""));
  change.occurrences = json::integer_member(*data, "occurrences").value_or(0);
  change.run_id = json::integer_member(event, "run_id").value_or(0);
  change.run_url = std::string(json::string_member(event, "run_url").value_or(""));
  if (const auto signature = json::string_member(*data, "signature"))
    change.signature = std::string(*signature);
  if (const auto category = json::string_member(*data, "category"))
    change.category = std::string(*category);
  if (change.incident_id <= 0 || change.repository.find('/') == std::string::npos)
    throw json::ParseError("incident id or repository missing");
  change.event = std::string(event_json);
  return change;
}

std::string slack_message(const IncidentChange& change,
                          const std::optional<FailureDetails>& failure, const Links& links) {
  const std::string text = headline(change);
  std::string facts = "*Repository:* " + slack_escape(change.repository) + "\n*Workflow:* " +
                      slack_escape(change.workflow) + "\n*Branch:* `" +
                      slack_escape(change.branch) + "`";
  if (change.category)
    facts += "\n*Category:* " + slack_escape(*change.category);
  if (change.signature)
    facts += "\n*Signature:* `" + slack_escape(*change.signature) + "`";
  if (failure && !failure->job.empty())
    facts += "\n*Failing job:* " + slack_escape(failure->job) +
             (failure->step.empty() ? "" : " — step " + slack_escape(failure->step));
  std::string related;
  const auto add_link = [&](const std::string& url, const std::string& label) {
    if (!url.empty())
      related += (related.empty() ? "" : " · ") + slack_link(url, label);
  };
  add_link(run_url(change, links), "Run " + std::to_string(change.run_id));
  add_link(incident_url(change, links), "Incident " + std::to_string(change.incident_id));
  add_link(links.issue_url, "GitHub issue");

  std::vector<std::string> sections{facts};
  if (failure && !failure->first_line.empty())
    sections.push_back(wrapped("```", slack_escape(failure->first_line), "```"));
  if (!related.empty())
    sections.push_back(related);
  return slack_document(text, sections);
}

std::string slack_summary(const std::vector<IncidentChange>& changes, const Links& links) {
  const std::string text = "While notifications were quiet: " + std::to_string(changes.size()) +
                           (changes.size() == 1 ? " incident change" : " incident changes");
  std::string lines;
  for (const auto& change : changes) {
    const auto url = incident_url(change, links);
    const auto line = slack_escape(headline(change));
    lines += "• " + (url.empty() ? line : slack_link(url, line)) + "\n";
  }
  return slack_document(text, {lines});
}

std::string webhook_body(const IncidentChange& change, std::string_view timestamp) {
  return json::object([&](json::Writer& out) {
    out.Key("type");
    json::write(out, "incident." + change.type);
    out.Key("timestamp");
    json::write(out, timestamp);
    out.Key("data");
    out.RawValue(change.event.data(), change.event.size(), rapidjson::kObjectType);
  });
}

std::string pagerduty_event(const IncidentChange& change, std::string_view routing_key,
                            const std::optional<FailureDetails>& failure, const Links& links) {
  const bool trigger = change.type == "opened" || change.type == "recurred";
  return json::object([&](json::Writer& out) {
    out.Key("routing_key");
    json::write(out, routing_key);
    out.Key("event_action");
    out.String(trigger ? "trigger" : change.type == "acknowledged" ? "acknowledge" : "resolve");
    out.Key("dedup_key");
    json::write(out, std::to_string(change.incident_id));
    if (!trigger)
      return;
    out.Key("payload");
    out.StartObject();
    out.Key("summary");
    json::write(out, headline(change).substr(0, 1024));
    out.Key("source");
    json::write(out, change.repository);
    out.Key("severity");
    out.String("error");
    out.Key("component");
    json::write(out, change.workflow);
    out.Key("group");
    json::write(out, change.branch);
    if (change.category) {
      out.Key("class");
      json::write(out, *change.category);
    }
    out.Key("custom_details");
    out.StartObject();
    out.Key("occurrences");
    out.Int64(change.occurrences);
    if (change.signature) {
      out.Key("signature");
      json::write(out, *change.signature);
    }
    if (failure) {
      out.Key("failing_job");
      json::write(out, failure->job);
      out.Key("failing_step");
      json::write(out, failure->step);
      out.Key("first_error_line");
      json::write(out, failure->first_line);
    }
    out.EndObject();
    out.EndObject();
    std::vector<std::pair<std::string, std::string>> link_list;
    if (const auto url = run_url(change, links); !url.empty())
      link_list.emplace_back(url, "Run " + std::to_string(change.run_id));
    if (const auto url = incident_url(change, links); !url.empty())
      link_list.emplace_back(url, "Incident " + std::to_string(change.incident_id));
    if (!links.issue_url.empty())
      link_list.emplace_back(links.issue_url, "GitHub issue");
    out.Key("links");
    out.StartArray();
    for (const auto& [href, label] : link_list) {
      out.StartObject();
      out.Key("href");
      json::write(out, href);
      out.Key("text");
      json::write(out, label);
      out.EndObject();
    }
    out.EndArray();
  });
}

std::string slack_test_message(std::string_view channel_name) {
  return json::object([&](json::Writer& out) {
    out.Key("text");
    json::write(out, "Faultline test message for channel \"" + std::string(channel_name) +
                         "\": notifications reach this channel.");
  });
}

std::string webhook_test_body(std::string_view timestamp) {
  return json::object([&](json::Writer& out) {
    out.Key("type");
    out.String("faultline.test");
    out.Key("timestamp");
    json::write(out, timestamp);
    out.Key("data");
    out.StartObject();
    out.EndObject();
  });
}

std::string pagerduty_test_event(std::string_view routing_key, std::int64_t channel_id) {
  return json::object([&](json::Writer& out) {
    out.Key("routing_key");
    json::write(out, routing_key);
    out.Key("event_action");
    out.String("resolve");
    out.Key("dedup_key");
    json::write(out, "faultline-test-" + std::to_string(channel_id));
  });
}

}  // namespace faultline::notify
