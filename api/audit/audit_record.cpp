#include "api/audit/audit_record.hpp"

#include <stdexcept>

#include "common/crypto.hpp"
#include "common/provider_ids.hpp"

namespace faultline::api::audit {
namespace {

void append_netstring(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
  out += ',';
}

}  // namespace

std::string_view name(Action action) {
  for (const auto& [known, text] : kVocabulary)
    if (known == action)
      return text;
  throw std::logic_error("an audit action without a name");
}

std::optional<Action> parse_action(std::string_view text) {
  for (const auto& [action, known] : kVocabulary)
    if (known == text)
      return action;
  return std::nullopt;
}

std::string_view name(Outcome outcome) {
  return outcome == Outcome::kSuccess ? "success" : "failure";
}

Context system_context() {
  return Context{"system", "", "", "", ""};
}

std::string canonical_encoding(const Record& record) {
  std::string out;
  append_netstring(out, "faultline-audit-v1");
  append_netstring(out, std::to_string(record.id));
  for (const std::string* field :
       {&record.at, &record.actor, &record.source_address, &record.user_agent, &record.session_hash,
        &record.action, &record.target, &record.outcome, &record.reason, &record.request_id})
    append_netstring(out, *field);
  return out;
}

std::string chain_hash(const Record& record) {
  return crypto::to_hex(crypto::sha256(canonical_encoding(record) + record.previous_hash));
}

std::optional<Break> ChainCheck::next(const Record& record) {
  const auto id = std::to_string(record.id);
  if (record.id <= last_id_)
    return Break{record.id, "row " + id + " is out of order (it follows row " +
                                std::to_string(last_id_) + ")"};
  if (record.id != last_id_ + 1)
    return Break{last_id_ + 1, "row " + std::to_string(last_id_ + 1) + " is missing (row " + id +
                                   " follows row " + std::to_string(last_id_) + ")"};
  if (record.previous_hash != last_hash_)
    return Break{record.id, "row " + id + " does not name the hash of the row before it"};
  if (chain_hash(record) != record.hash)
    return Break{record.id, "row " + id + " does not match its hash (a field was changed)"};
  last_id_ = record.id;
  last_hash_ = record.hash;
  ++checked_;
  return std::nullopt;
}

std::optional<Break> ChainCheck::finish(std::int64_t head_id, std::string_view head_hash) const {
  if (head_id > last_id_)
    return Break{last_id_ + 1, "row " + std::to_string(last_id_ + 1) +
                                   " is missing (the chain head names row " +
                                   std::to_string(head_id) + ")"};
  if (head_id != last_id_ || head_hash != last_hash_)
    return Break{last_id_,
                 "the chain head does not name row " + std::to_string(last_id_) + ", the last row"};
  return std::nullopt;
}

std::string repository_target(std::int64_t stored_id) {
  return (provider_of(stored_id) == Provider::github ? "repository:" : "gitlab-project:") +
         std::to_string(own_id(stored_id));
}

std::string session_hash(std::string_view session_id) {
  return session_id.empty() ? std::string() : crypto::to_hex(crypto::sha256(session_id));
}

}  // namespace faultline::api::audit
