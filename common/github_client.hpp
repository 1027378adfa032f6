#pragma once

// GitHub's REST API on libcurl, with GitHub's own rules: rate limits waited
// out, mutations paced one at a time, server errors retried, every attempt
// reported to a recorder.

#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/config.hpp"

namespace faultline::github {

struct Response {
  long status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

// One HTTP exchange, as it is recorded (never with the token).
struct Call {
  std::string method;
  std::string path;
  long status = 0;  // 0: no HTTP answer
  std::string response_body;
  double seconds = 0;
  int attempt = 1;
  std::string error;          // transport error, if any
  bool rate_limited = false;  // GitHub asked us to wait (and we do, or give up)
};

class CallRecorder {
 public:
  virtual ~CallRecorder() = default;
  virtual void record(const Call& call) = 0;
};

struct ClientSettings {
  std::string base_url = "https://api.github.com";
  std::string user_agent = "faultline";
  int max_attempts = 5;
  // GitHub asks for mutating requests one at a time, a second apart.
  std::chrono::milliseconds mutation_spacing{1000};
  // The longest total wait for rate limits before giving up on a request.
  std::chrono::milliseconds max_wait{std::chrono::minutes(15)};
  std::chrono::milliseconds backoff_base{500};
  // A secondary rate limit without Retry-After: GitHub says wait at least a minute.
  std::chrono::milliseconds secondary_wait{std::chrono::seconds(60)};

  // FAULTLINE_GITHUB_API_URL, FAULTLINE_GITHUB_MUTATION_SPACING,
  // FAULTLINE_GITHUB_SECONDARY_WAIT, FAULTLINE_GITHUB_MAX_WAIT.
  static ClientSettings from(const Environment& env);
};

// A request in full, for what `request` does not cover: GitHub's web host
// (OAuth), other credentials, answers that must not be recorded.
struct Request {
  std::string method = "GET";
  std::string url;  // a path on the API, or a full URL
  std::string body;
  std::string authorization;  // the whole header value, e.g. "Bearer ..." or "Basic ..."
  std::string accept = "application/vnd.github+json";
  std::string content_type = "application/json";
  bool record_response = true;    // false when the answer holds a secret or is bulky (logs)
  bool follow_redirects = false;  // logs answer with a redirect to storage
};

// GitHub could not be reached, or kept refusing, within the retries allowed.
class GitHubError : public std::runtime_error {
 public:
  GitHubError(const std::string& what, long status) : std::runtime_error(what), status_(status) {}
  long status() const { return status_; }

 private:
  long status_;
};

class Client {
 public:
  explicit Client(ClientSettings settings, CallRecorder* recorder = nullptr);

  // GitHub's final answer: 5xx and transport errors are retried with backoff,
  // rate limits (x-ratelimit-remaining: 0, Retry-After, secondary limits) are
  // waited out. Any other status comes back as it is. Throws GitHubError when
  // retries or max_wait run out.
  Response request(const std::string& token, const std::string& method, const std::string& path,
                   const std::string& json_body = "");

  // The same rules for a request given in full.
  Response send(const Request& request);

  // GET, following Link rel="next" until there is none or `max_pages`.
  std::vector<std::string> get_pages(const std::string& token, const std::string& path,
                                     int max_pages = 100);

 private:
  Response send_once(const Request& request, const std::string& url, std::string& error);

  ClientSettings settings_;
  CallRecorder* recorder_;
  std::mutex mutation_mutex_;
  std::chrono::steady_clock::time_point last_mutation_{};
};

// The URL of Link's rel="next", or empty.
std::string next_link(const std::string& link_header);

}  // namespace faultline::github
