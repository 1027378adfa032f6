#include "processors/gitlab_status.hpp"

namespace faultline::processors {

MappedStatus map_gitlab_status(std::string_view s, bool allow_failure) {
  if (s == "created")
    return {"requested", std::nullopt};
  // Waiting on something other than a runner: a resource group, a schedule, a
  // person (manual). A manual job played later still moves forward from here.
  if (s == "waiting_for_resource" || s == "scheduled" || s == "manual")
    return {"waiting", std::nullopt};
  if (s == "preparing" || s == "pending")
    return {"queued", std::nullopt};
  // Canceling and waiting for an external callback are still running: the
  // final word (canceled, success, failed) comes after.
  if (s == "running" || s == "canceling" || s == "waiting_for_callback")
    return {"in_progress", std::nullopt};
  if (s == "success")
    return {"completed", "success"};
  if (s == "failed")
    return {"completed", allow_failure ? "neutral" : "failure"};
  if (s == "canceled")
    return {"completed", "cancelled"};
  if (s == "skipped")
    return {"completed", "skipped"};
  // A status newer than this list ranks 0: stored, never overriding a known one.
  return {std::string(s), std::nullopt};
}

}  // namespace faultline::processors
