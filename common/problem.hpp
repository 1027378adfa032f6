#pragma once

// RFC 9457 problem details: the one error shape of every HTTP response.

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace faultline {

struct Problem {
  int status = 500;
  std::string title;
  std::string detail;
  // A short slug naming the kind of problem; rendered as urn:faultline:problem:<slug>.
  std::string kind;
  // Extension members, rendered as strings.
  std::vector<std::pair<std::string, std::string>> extensions;

  std::string to_json() const;
};

inline constexpr const char* kProblemContentType = "application/problem+json";

// Thrown by logic for input the client got wrong; the edge maps it to its
// Problem once. Anything else that escapes becomes a bare 500. Some answers
// need a header too (WWW-Authenticate with a 401, Retry-After with a 429).
class ClientError : public std::runtime_error {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  explicit ClientError(Problem problem, Headers headers = {})
      : std::runtime_error(problem.detail),
        problem_(std::move(problem)),
        headers_(std::move(headers)) {}
  const Problem& problem() const { return problem_; }
  const Headers& headers() const { return headers_; }

 private:
  Problem problem_;
  Headers headers_;
};

Problem bad_request(std::string detail, std::string kind = "bad-request");
Problem not_found(std::string detail);
Problem unprocessable(std::string detail, std::string kind = "invalid-body");
Problem internal_error();

}  // namespace faultline
