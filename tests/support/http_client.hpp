#pragma once

#include <map>
#include <string>
#include <vector>

namespace faultline::testing {

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  // How many new TCP connections libcurl opened for this request (0: reused).
  long new_connections = 0;
};

// A libcurl easy handle kept across requests, so keep-alive can be observed.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse request(const std::string& method, const std::string& url,
                       const std::vector<std::string>& headers = {}, const std::string& body = "");
  HttpResponse get(const std::string& url, const std::vector<std::string>& headers = {}) {
    return request("GET", url, headers);
  }

 private:
  void* curl_;
};

}  // namespace faultline::testing
