#include "common/github_client.hpp"

#include <algorithm>
#include <cctype>
#include <ctime>
#include <memory>
#include <random>
#include <thread>

#include "common/http_exchange.hpp"
#include "common/log.hpp"
#include "common/trace_context.hpp"

namespace faultline::github {
namespace {

using Clock = std::chrono::steady_clock;

bool mutating(const std::string& method) {
  return method != "GET" && method != "HEAD";
}

long long header_number(const Response& r, const char* name, long long fallback) {
  const auto it = r.headers.find(name);
  if (it == r.headers.end())
    return fallback;
  try {
    return std::stoll(it->second);
  } catch (const std::exception&) {
    return fallback;
  }
}

// How long GitHub asks us to wait before trying again, if this is a rate limit.
std::optional<std::chrono::milliseconds> rate_limit_wait(const Response& r,
                                                         const ClientSettings& settings) {
  if (r.status != 403 && r.status != 429)
    return std::nullopt;
  if (const auto retry_after = header_number(r, "retry-after", -1); retry_after >= 0)
    return std::chrono::seconds(retry_after);
  if (header_number(r, "x-ratelimit-remaining", 1) == 0) {
    const auto reset = header_number(r, "x-ratelimit-reset", 0);
    const auto now = static_cast<long long>(std::time(nullptr));
    return std::chrono::seconds(std::max(1LL, reset - now + 1));
  }
  if (r.body.find("secondary rate limit") != std::string::npos)
    return settings.secondary_wait;
  if (r.status == 429)
    return std::chrono::seconds(1);
  return std::nullopt;  // a 403 that is a refusal, not a limit
}

}  // namespace

ClientSettings ClientSettings::from(const Environment& env) {
  ClientSettings s;
  s.base_url = env.text("FAULTLINE_GITHUB_API_URL", s.base_url);
  while (!s.base_url.empty() && s.base_url.back() == '/')
    s.base_url.pop_back();
  if (s.base_url.rfind("http://", 0) != 0 && s.base_url.rfind("https://", 0) != 0)
    throw ConfigError("FAULTLINE_GITHUB_API_URL: expected an http(s) URL, got '" + s.base_url +
                      "'");
  s.mutation_spacing = env.duration("FAULTLINE_GITHUB_MUTATION_SPACING", s.mutation_spacing);
  s.secondary_wait = env.duration("FAULTLINE_GITHUB_SECONDARY_WAIT", s.secondary_wait);
  s.max_wait = env.duration("FAULTLINE_GITHUB_MAX_WAIT", s.max_wait);
  return s;
}

Client::Client(ClientSettings settings, CallRecorder* recorder)
    : settings_(std::move(settings)), recorder_(recorder) {}

Response Client::send_once(const Request& request, const std::string& url, std::string& error) {
  http_exchange::Request exchange;
  exchange.method = request.method;
  exchange.url = url;
  exchange.body = request.body;
  exchange.follow_redirects = request.follow_redirects;
  exchange.headers = {"Accept: " + request.accept, "X-GitHub-Api-Version: 2022-11-28",
                      "User-Agent: " + settings_.user_agent};
  if (!request.authorization.empty())
    exchange.headers.push_back("Authorization: " + request.authorization);
  if (!request.body.empty())
    exchange.headers.push_back("Content-Type: " + request.content_type);
  if (const auto* trace = trace::current()) {
    exchange.headers.push_back("traceparent: " + trace->traceparent());
    if (!trace->tracestate.empty())
      exchange.headers.push_back("tracestate: " + trace->tracestate);
  }
  auto answer = http_exchange::perform(exchange);
  if (!answer.error.empty()) {
    error = std::move(answer.error);
    return Response{};
  }
  return Response{answer.status, std::move(answer.body), std::move(answer.headers)};
}

Response Client::request(const std::string& token, const std::string& method,
                         const std::string& path, const std::string& json_body) {
  Request r;
  r.method = method;
  r.url = path;
  r.body = json_body;
  if (!token.empty())
    r.authorization = "Bearer " + token;
  return send(r);
}

Response Client::send(const Request& request) {
  const std::string& method = request.method;
  const std::string url =
      request.url.rfind("http", 0) == 0 ? request.url : settings_.base_url + request.url;
  // Paths on the API are recorded without the host; other hosts in full.
  const std::string recorded_path = url.rfind(settings_.base_url, 0) == 0
                                        ? url.substr(settings_.base_url.size())
                                        : url.substr(0, url.find('?'));
  // Mutations go one at a time, spaced out; reads run freely.
  std::unique_lock<std::mutex> pacing(mutation_mutex_, std::defer_lock);
  if (mutating(method))
    pacing.lock();

  std::mt19937 jitter(std::random_device{}());
  std::chrono::milliseconds waited{0};
  std::string last_problem;
  long last_status = 0;
  for (int attempt = 1; attempt <= settings_.max_attempts; ++attempt) {
    if (mutating(method)) {
      const auto ready = last_mutation_ + settings_.mutation_spacing;
      if (Clock::now() < ready)
        std::this_thread::sleep_until(ready);
      last_mutation_ = Clock::now();
    }
    std::string error;
    const auto started = Clock::now();
    Response response = send_once(request, url, error);
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    const bool failed = !error.empty() || response.status >= 500;
    const auto wait = failed ? std::nullopt : rate_limit_wait(response, settings_);
    if (recorder_)
      recorder_->record(Call{method, recorded_path, response.status,
                             request.record_response ? response.body : "(not recorded)", seconds,
                             attempt, error, wait.has_value()});

    std::chrono::milliseconds pause{0};
    if (failed) {
      last_problem = error.empty() ? "GitHub answered " + std::to_string(response.status) : error;
      const auto base = settings_.backoff_base.count() << std::min(attempt - 1, 6);
      pause =
          std::chrono::milliseconds(base / 2 + static_cast<long long>(jitter() % (base / 2 + 1)));
    } else if (wait) {
      last_problem = "rate limited (" + std::to_string(response.status) + ")";
      pause = *wait;
    } else {
      return response;
    }
    last_status = response.status;
    if (attempt == settings_.max_attempts)
      break;
    if (waited + pause > settings_.max_wait) {
      last_problem += "; the wait GitHub asks for is beyond the limit";
      break;
    }
    log::warn("GitHub call will be retried",
              {{"method", method},
               {"path", recorded_path},
               {"problem", last_problem},
               {"wait_ms", static_cast<std::int64_t>(pause.count())}});
    std::this_thread::sleep_for(pause);
    waited += pause;
  }
  throw GitHubError(method + " " + recorded_path + ": " + last_problem, last_status);
}

std::vector<std::string> Client::get_pages(const std::string& token, const std::string& path,
                                           int max_pages) {
  std::vector<std::string> pages;
  std::string next = path;
  for (int i = 0; i < max_pages && !next.empty(); ++i) {
    auto response = request(token, "GET", next);
    if (response.status != 200)
      throw GitHubError("GET " + next + " answered " + std::to_string(response.status),
                        response.status);
    pages.push_back(std::move(response.body));
    const auto link = response.headers.find("link");
    next = link == response.headers.end() ? "" : next_link(link->second);
  }
  return pages;
}

std::string next_link(const std::string& header) {
  // <https://api.github.com/...?page=2>; rel="next", <...>; rel="last"
  std::size_t at = 0;
  while ((at = header.find('<', at)) != std::string::npos) {
    const auto close = header.find('>', at);
    if (close == std::string::npos)
      break;
    const auto end = header.find(',', close);
    const auto params =
        header.substr(close + 1, end == std::string::npos ? std::string::npos : end - close - 1);
    if (params.find("rel=\"next\"") != std::string::npos)
      return header.substr(at + 1, close - at - 1);
    at = close;
  }
  return {};
}

}  // namespace faultline::github
