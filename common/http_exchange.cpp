#include "common/http_exchange.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>

#include "common/curl_callbacks.hpp"

namespace faultline::http_exchange {
namespace {

struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

struct Opening {
  const Request* request;
  bool refused = false;
};

// CURLOPT_OPENSOCKETFUNCTION: the address is the one libcurl resolved and is
// about to connect to, so a name that resolves to a forbidden address is
// refused whatever it is called (and a second resolution cannot differ).
curl_socket_t open_socket(void* data, curlsocktype purpose, curl_sockaddr* address) {
  auto* opening = static_cast<Opening*>(data);
  if (purpose == CURLSOCKTYPE_IPCXN && opening->request->allow_address &&
      !opening->request->allow_address(address->addr)) {
    opening->refused = true;
    return CURL_SOCKET_BAD;
  }
  return ::socket(address->family, address->socktype, address->protocol);
}

}  // namespace

Response perform(const Request& request) {
  static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  std::unique_ptr<CURL, CurlDeleter> curl(initialised ? curl_easy_init() : nullptr);
  if (!curl)
    throw std::runtime_error("curl_easy_init failed");
  curl_slist* raw = nullptr;
  for (const auto& header : request.headers)
    raw = curl_slist_append(raw, header.c_str());
  raw = curl_slist_append(raw, "Expect:");
  std::unique_ptr<curl_slist, SlistDeleter> headers(raw);

  Response response;
  Opening opening{&request};
  CURL* c = curl.get();
  curl_easy_setopt(c, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(request.connect_timeout.count()));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(request.timeout.count()));
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  if (request.allow_address) {
    curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, &open_socket);
    curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, &opening);
    // A proxy's address would be the one checked, not the receiver's.
    curl_easy_setopt(c, CURLOPT_PROXY, "");
  }
  if (request.follow_redirects) {
    // libcurl keeps a custom Authorization header from other hosts.
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 3L);
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  }
  if (!request.body.empty() || (request.method != "GET" && request.method != "HEAD")) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.c_str());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, &curl::append_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, &curl::collect_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response.headers);
  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    response = Response{};
    response.address_refused = opening.refused;
    response.error = opening.refused ? "the receiver's address is not allowed"
                                     : std::string(curl_easy_strerror(rc));
    return response;
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  return response;
}

std::optional<std::chrono::seconds> retry_after(const Response& response) {
  const auto it = response.headers.find("retry-after");
  if (it == response.headers.end() || it->second.empty() || it->second.size() > 9 ||
      !std::all_of(it->second.begin(), it->second.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; }))
    return std::nullopt;
  return std::chrono::seconds(std::stoll(it->second));
}

}  // namespace faultline::http_exchange
