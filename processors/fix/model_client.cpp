#include "processors/fix/model_client.hpp"

#include "common/http_exchange.hpp"
#include "common/json.hpp"

namespace faultline::processors::fix {
namespace {

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::optional<long long> count(const json::Value& usage, const char* key) {
  const auto n = json::integer_member(usage, key);
  if (!n || *n < 0)
    return std::nullopt;
  return *n;
}

}  // namespace

std::optional<ModelSettings> ModelSettings::from(const Environment& env) {
  ModelSettings s;
  s.url = env.text("FAULTLINE_FIX_MODEL_URL", "");
  if (s.url.empty())
    return std::nullopt;
  if (s.url.rfind("http://", 0) != 0 && s.url.rfind("https://", 0) != 0)
    throw ConfigError("FAULTLINE_FIX_MODEL_URL: expected an http(s) URL, got '" + s.url + "'");
  s.model = env.text("FAULTLINE_FIX_MODEL", "");
  if (s.model.empty())
    throw ConfigError(
        "FAULTLINE_FIX_MODEL: name the model to ask (FAULTLINE_FIX_MODEL_URL is set)");
  s.api_key = env.text("FAULTLINE_FIX_MODEL_API_KEY", "");
  s.timeout = env.duration("FAULTLINE_FIX_TIMEOUT", std::chrono::seconds(60));
  return s;
}

std::string ModelSettings::endpoint() const {
  std::string base = url;
  while (!base.empty() && base.back() == '/')
    base.pop_back();
  return ends_with(base, "/chat/completions") ? base : base + "/chat/completions";
}

const char* to_string(ModelOutcome outcome) {
  switch (outcome) {
    case ModelOutcome::kAnswered:
      return "answered";
    case ModelOutcome::kTimeout:
      return "timeout";
    case ModelOutcome::kUnreachable:
      return "unreachable";
    case ModelOutcome::kRateLimited:
      return "rate-limited";
    case ModelOutcome::kModelError:
      return "model-error";
    case ModelOutcome::kGarbage:
      return "garbage";
  }
  return "unknown";
}

std::string ModelClient::request_body(const std::string& system, const std::string& user) const {
  return json::object([&](json::Writer& out) {
    out.Key("model");
    json::write(out, settings_.model);
    out.Key("temperature");
    out.Int(0);
    out.Key("messages");
    out.StartArray();
    for (const auto& [role, content] : {std::pair{"system", &system}, std::pair{"user", &user}}) {
      out.StartObject();
      out.Key("role");
      json::write(out, role);
      out.Key("content");
      json::write(out, *content);
      out.EndObject();
    }
    out.EndArray();
  });
}

ModelReply read_completion(long status, std::string body) {
  ModelReply reply;
  reply.status = status;
  reply.outcome = ModelOutcome::kGarbage;
  try {
    const auto document = json::parse(body);
    const auto* choices = json::member(document, "choices");
    if (!choices || !choices->IsArray() || choices->Empty() || !(*choices)[0].IsObject()) {
      reply.error = "the answer has no choices";
    } else if (const auto* message = json::object_member((*choices)[0], "message");
               !message || !json::string_member(*message, "content")) {
      reply.error = "the first choice has no message content";
    } else {
      reply.outcome = ModelOutcome::kAnswered;
      reply.content = std::string(*json::string_member(*message, "content"));
      if (const auto* usage = json::object_member(document, "usage")) {
        reply.prompt_tokens = count(*usage, "prompt_tokens");
        reply.completion_tokens = count(*usage, "completion_tokens");
      }
    }
  } catch (const json::ParseError& e) {
    reply.error = std::string("the answer is not JSON: ") + e.what();
  }
  reply.body = std::move(body);
  return reply;
}

ModelReply ModelClient::ask(const std::string& request_body) const {
  http_exchange::Request request;
  request.method = "POST";
  request.url = settings_.endpoint();
  request.headers = {"Content-Type: application/json", "Accept: application/json"};
  if (!settings_.api_key.empty())
    request.headers.push_back("Authorization: Bearer " + settings_.api_key);
  request.body = request_body;
  request.timeout = settings_.timeout;
  const auto started = std::chrono::steady_clock::now();
  auto response = http_exchange::perform(request);
  const auto latency = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);

  ModelReply reply;
  if (response.status == 0) {
    reply.outcome = response.error.find("timed out") != std::string::npos
                        ? ModelOutcome::kTimeout
                        : ModelOutcome::kUnreachable;
    reply.error = response.error;
  } else if (response.status == 200) {
    reply = read_completion(response.status, std::move(response.body));
  } else {
    reply.outcome = response.status == 429 ? ModelOutcome::kRateLimited : ModelOutcome::kModelError;
    reply.status = response.status;
    reply.retry_after = http_exchange::retry_after(response);
    reply.error = "the model answered HTTP " + std::to_string(response.status);
    reply.body = std::move(response.body);
  }
  reply.latency = latency;
  return reply;
}

}  // namespace faultline::processors::fix
