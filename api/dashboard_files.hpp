#pragma once

#include <vector>

#include "schemas/embedded.hpp"

namespace faultline::api {

// The dashboard's build output (api/dashboard/, built by Vite), embedded when
// faultline-api is built: index.html and assets/*, named by their path there.
const std::vector<schemas::EmbeddedFile>& dashboard_files();

}  // namespace faultline::api
