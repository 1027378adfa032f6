#pragma once

// What one row of the audit log says, and how the rows are chained: pure
// functions, tested without a database (README, Audit log).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace faultline::api::audit {

// The fixed vocabulary of actions, after OWASP's Logging Vocabulary Cheat
// Sheet (its names where it has one, the same style where it has none).
enum class Action {
  kAuthnLoginSuccess,
  kAuthnLoginFail,
  kAuthnLoginLock,
  kAuthnMfaEnrollStart,
  kAuthnMfaEnroll,
  kAuthnMfaChallenge,
  kAuthnMfaSuccess,
  kAuthnMfaFail,
  kAuthnMfaLock,
  kAuthnMfaRecoveryCodeUsed,
  kAuthnMfaDisable,
  kExcessRateLimitExceeded,
  kAuthnTokenInvalid,
  kAuthnTokenReuse,
  kAuthnLogout,
  kAuthnLogoutAll,
  kSessionRevoked,
  kAuthzFail,
  kUserCreated,
  kUserEmailChange,
  kAdminRepositoryConnect,
  kAdminRepositoryUpdate,
  kAdminRepositoryDisconnect,
  kAdminWebhookCreate,
  kAdminTokenReseal,
  kAdminStatusEventCreate,
  kAdminNotificationChannelCreate,
  kAdminNotificationChannelUpdate,
  kAdminNotificationChannelDelete,
  kAdminNotificationChannelTest,
  kAdminNotificationRuleCreate,
  kAdminNotificationRuleUpdate,
  kAdminNotificationRuleDelete,
  kGithubConnect,
  kGithubDisconnect,
  kWorkflowRerun,
  kFixProposalRequest,
  kAuditLogPruned,
};

// The one list: each action with its name in the log. README lists the same.
inline constexpr std::pair<Action, std::string_view> kVocabulary[] = {
    {Action::kAuthnLoginSuccess, "authn_login_success"},
    {Action::kAuthnLoginFail, "authn_login_fail"},
    {Action::kAuthnLoginLock, "authn_login_lock"},
    {Action::kAuthnMfaEnrollStart, "authn_mfa_enroll_start"},
    {Action::kAuthnMfaEnroll, "authn_mfa_enroll"},
    {Action::kAuthnMfaChallenge, "authn_mfa_challenge"},
    {Action::kAuthnMfaSuccess, "authn_mfa_success"},
    {Action::kAuthnMfaFail, "authn_mfa_fail"},
    {Action::kAuthnMfaLock, "authn_mfa_lock"},
    {Action::kAuthnMfaRecoveryCodeUsed, "authn_mfa_recovery_code_used"},
    {Action::kAuthnMfaDisable, "authn_mfa_disable"},
    {Action::kExcessRateLimitExceeded, "excess_rate_limit_exceeded"},
    {Action::kAuthnTokenInvalid, "authn_token_invalid"},
    {Action::kAuthnTokenReuse, "authn_token_reuse"},
    {Action::kAuthnLogout, "authn_logout"},
    {Action::kAuthnLogoutAll, "authn_logout_all"},
    {Action::kSessionRevoked, "session_revoked"},
    {Action::kAuthzFail, "authz_fail"},
    {Action::kUserCreated, "user_created"},
    {Action::kUserEmailChange, "user_email_change"},
    {Action::kAdminRepositoryConnect, "admin_repository_connect"},
    {Action::kAdminRepositoryUpdate, "admin_repository_update"},
    {Action::kAdminRepositoryDisconnect, "admin_repository_disconnect"},
    {Action::kAdminWebhookCreate, "admin_webhook_create"},
    {Action::kAdminTokenReseal, "admin_token_reseal"},
    {Action::kAdminStatusEventCreate, "admin_status_event_create"},
    {Action::kAdminNotificationChannelCreate, "admin_notification_channel_create"},
    {Action::kAdminNotificationChannelUpdate, "admin_notification_channel_update"},
    {Action::kAdminNotificationChannelDelete, "admin_notification_channel_delete"},
    {Action::kAdminNotificationChannelTest, "admin_notification_channel_test"},
    {Action::kAdminNotificationRuleCreate, "admin_notification_rule_create"},
    {Action::kAdminNotificationRuleUpdate, "admin_notification_rule_update"},
    {Action::kAdminNotificationRuleDelete, "admin_notification_rule_delete"},
    {Action::kGithubConnect, "github_connect"},
    {Action::kGithubDisconnect, "github_disconnect"},
    {Action::kWorkflowRerun, "workflow_rerun"},
    {Action::kFixProposalRequest, "fix_proposal_request"},
    {Action::kAuditLogPruned, "audit_log_pruned"},
};

std::string_view name(Action action);
std::optional<Action> parse_action(std::string_view name);

enum class Outcome { kSuccess, kFailure };
std::string_view name(Outcome outcome);

// Who acted, from where: the same for every row one request writes.
struct Context {
  std::string actor;  // a user id, "anonymous" or "system"
  std::string source_address;
  std::string user_agent;    // bounded, printable
  std::string session_hash;  // session_hash() of the caller's session, or ""
  std::string request_id;
};

// The context of a command run by an operator (reseal, prune, create-user).
Context system_context();

// What happened.
struct Event {
  Action action;
  std::string target;  // "user:42", "repository:7", "session:<hash>", "GET /api/v1/…"
  Outcome outcome = Outcome::kSuccess;
  std::string reason;
};

// Bounds, in bytes, of what a row keeps; longer text is cut.
inline constexpr std::size_t kMaxTargetBytes = 256;
inline constexpr std::size_t kMaxReasonBytes = 512;

// One stored row, every field as text the way it is hashed.
struct Record {
  std::int64_t id = 0;
  std::string at;  // UTC with microseconds: 2026-12-02T08:15:30.123456Z
  std::string actor, source_address, user_agent, session_hash, action, target, outcome, reason,
      request_id;
  std::string previous_hash;  // 64 lowercase hex digits; the first row's: 64 zeros
  std::string hash;
};

// The hash "before" the first row.
inline constexpr std::string_view kGenesisHash =
    "0000000000000000000000000000000000000000000000000000000000000000";

// The canonical encoding: the netstring "18:faultline-audit-v1," then each
// field as a netstring, `<length in bytes, decimal>:<bytes>,`, in the order
// id (decimal), at, actor, source_address, user_agent, session_hash, action,
// target, outcome, reason, request_id.
std::string canonical_encoding(const Record& record);

// hex(SHA-256(canonical_encoding(record) ‖ record.previous_hash)), the
// previous hash taken as its 64 hex digits.
std::string chain_hash(const Record& record);

// Where and why a chain is broken.
struct Break {
  std::int64_t id = 0;  // the first row that breaks it (a missing row's own id)
  std::string problem;
};

// Checks rows handed over in id order, from where the chain starts (the
// anchor a prune left, or row 0 with kGenesisHash): consecutive ids, each
// naming the hash before it, each hash that of its own fields.
class ChainCheck {
 public:
  ChainCheck(std::int64_t anchor_id, std::string anchor_hash)
      : last_id_(anchor_id), last_hash_(std::move(anchor_hash)) {}

  // Nothing while the chain holds; the break otherwise (stop there).
  std::optional<Break> next(const Record& record);
  // After the last row: the chain head must name it, or rows were cut off
  // the end (or the head was changed).
  std::optional<Break> finish(std::int64_t head_id, std::string_view head_hash) const;

  std::int64_t checked() const { return checked_; }
  std::int64_t last_id() const { return last_id_; }
  const std::string& last_hash() const { return last_hash_; }

 private:
  std::int64_t last_id_;
  std::string last_hash_;
  std::int64_t checked_ = 0;
};

// What the log keeps of a session id: hex(SHA-256(id)), never the id itself.
std::string session_hash(std::string_view session_id);

// The target naming a repository by its stored id: `repository:<GitHub's id>`,
// or `gitlab-project:<GitLab's own id>` (common/provider_ids.hpp).
std::string repository_target(std::int64_t stored_id);

}  // namespace faultline::api::audit
