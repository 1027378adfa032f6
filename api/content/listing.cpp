#include "api/content/listing.hpp"

namespace faultline::api {

std::string visible_to(const auth::Principal& caller, const std::string& alias) {
  return caller.admin() ? " WHERE true" : " WHERE " + alias + ".owner_id = :owner";
}

}  // namespace faultline::api
