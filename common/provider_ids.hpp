#pragma once

#include <cstdint>
#include <string_view>

// GitHub's and GitLab's ids share the state's bigint columns: GitLab's are
// stored negated (schemas/db/021_providers.sql says why). This is the one
// place that mapping is written.
namespace faultline {

enum class Provider { github, gitlab };

constexpr std::string_view provider_name(Provider provider) {
  return provider == Provider::github ? "github" : "gitlab";
}

// A provider's own id (a repository, project, run, pipeline or job id) as stored.
constexpr std::int64_t stored_id(Provider provider, std::int64_t own_id) {
  return provider == Provider::github ? own_id : -own_id;
}

constexpr Provider provider_of(std::int64_t stored) {
  return stored > 0 ? Provider::github : Provider::gitlab;
}

// The provider's own id of a stored one.
constexpr std::int64_t own_id(std::int64_t stored) {
  return stored > 0 ? stored : -stored;
}

}  // namespace faultline
