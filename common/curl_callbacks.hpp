#pragma once

// libcurl write and header callbacks shared by every libcurl user.

#include <cstddef>
#include <map>
#include <string>

namespace faultline::curl {

// CURLOPT_WRITEFUNCTION with CURLOPT_WRITEDATA = std::string*.
std::size_t append_body(char* data, std::size_t size, std::size_t count, void* body);

// CURLOPT_HEADERFUNCTION with CURLOPT_HEADERDATA = std::map<std::string, std::string>*;
// names lower-cased, values trimmed.
std::size_t collect_header(char* data, std::size_t size, std::size_t count, void* headers);

}  // namespace faultline::curl
