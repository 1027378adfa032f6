#pragma once

#include <optional>
#include <string>
#include <utility>

#include "common/problem.hpp"

namespace faultline::api {

// What a lookup found, or a ClientError 404 whose detail is `missing`
// ("No project 7.").
inline std::string found(std::optional<std::string> document, const std::string& missing) {
  if (!document)
    throw ClientError(not_found(missing));
  return std::move(*document);
}

}  // namespace faultline::api
