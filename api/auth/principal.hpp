#pragma once

#include <cstdint>
#include <string>

namespace faultline::api::auth {

// Who made a request, as proven by a valid access token of a live session.
struct Principal {
  std::int64_t user_id = 0;
  std::string email;
  std::string role;
  std::string session_id;

  bool admin() const { return role == "admin"; }
};

}  // namespace faultline::api::auth
