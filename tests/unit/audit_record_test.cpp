// The audit log's canonical encoding, its chain hash and the chain check,
// without a database.

#include "api/audit/audit_record.hpp"

#include <gtest/gtest.h>

#include <set>
#include <vector>

#include "common/json.hpp"
#include "schemas/embedded.hpp"

namespace faultline::api::audit {
namespace {

Record example() {
  Record r;
  r.id = 7;
  r.at = "2026-12-02T08:15:30.123456Z";
  r.actor = "42";
  r.source_address = "127.0.0.1";
  r.user_agent = "curl/8.0";
  r.action = "authn_login_success";
  r.target = "user:42";
  r.outcome = "success";
  r.request_id = "req-1";
  r.previous_hash = std::string(kGenesisHash);
  return r;
}

// A chain of `count` rows from the genesis hash.
std::vector<Record> chain(int count) {
  std::vector<Record> rows;
  std::string previous(kGenesisHash);
  for (int i = 1; i <= count; ++i) {
    auto r = example();
    r.id = i;
    r.reason = "row " + std::to_string(i);
    r.previous_hash = previous;
    r.hash = chain_hash(r);
    previous = r.hash;
    rows.push_back(r);
  }
  return rows;
}

std::optional<Break> check_all(const std::vector<Record>& rows) {
  ChainCheck check(0, std::string(kGenesisHash));
  for (const auto& row : rows)
    if (auto broken = check.next(row))
      return broken;
  return check.finish(rows.empty() ? 0 : rows.back().id,
                      rows.empty() ? std::string(kGenesisHash) : rows.back().hash);
}

TEST(AuditRecord, ARepositoryIsNamedByItsProvidersOwnId) {
  EXPECT_EQ(repository_target(1296269), "repository:1296269");
  EXPECT_EQ(repository_target(-42), "gitlab-project:42");
}

TEST(AuditRecord, CanonicalEncodingIsNetstringsInTheDocumentedOrder) {
  EXPECT_EQ(canonical_encoding(example()),
            "18:faultline-audit-v1,1:7,27:2026-12-02T08:15:30.123456Z,2:42,9:127.0.0.1,"
            "8:curl/8.0,0:,19:authn_login_success,7:user:42,7:success,0:,5:req-1,");
}

TEST(AuditRecord, ChainHashIsSha256OfTheEncodingAndThePreviousHash) {
  // printf '%s' '18:faultline-audit-v1,...,5:req-1,' followed by 64 zeros | sha256sum
  EXPECT_EQ(chain_hash(example()),
            "e1d76d7b065e91fb3b35bb103454e431b3a06a51aa90dfeba06be7df82853020");
}

TEST(AuditRecord, LengthPrefixesKeepFieldBoundaries) {
  // The same bytes split differently between two fields hash differently.
  auto moved = example();
  moved.actor = std::string(1, '4');  // not = "4": GCC 12 -Wrestrict false positive
  moved.source_address = "2127.0.0.1";
  EXPECT_NE(chain_hash(moved), chain_hash(example()));
}

TEST(AuditRecord, EveryFieldIsInTheHash) {
  std::set<std::string> hashes{chain_hash(example())};
  const auto base = example();
  std::string Record::*fields[] = {
      &Record::at,           &Record::actor,      &Record::source_address, &Record::user_agent,
      &Record::session_hash, &Record::action,     &Record::target,         &Record::outcome,
      &Record::reason,       &Record::request_id, &Record::previous_hash};
  for (auto field : fields) {
    auto changed = base;
    changed.*field += "x";
    EXPECT_TRUE(hashes.insert(chain_hash(changed)).second);
  }
  auto other_id = base;
  other_id.id = 8;
  EXPECT_TRUE(hashes.insert(chain_hash(other_id)).second);
}

TEST(AuditRecord, VocabularyNamesAreUniqueAndRoundTrip) {
  std::set<std::string_view> names;
  for (const auto& [action, text] : kVocabulary) {
    EXPECT_TRUE(names.insert(text).second) << text;
    EXPECT_EQ(name(action), text);
    EXPECT_EQ(parse_action(text), action);
  }
  EXPECT_FALSE(parse_action("authn_login_fail "));
  EXPECT_FALSE(parse_action(""));
}

TEST(AuditRecord, TheContractListsTheSameVocabulary) {
  const auto document = json::parse(schemas::openapi_json());
  const auto& listed = document["components"]["schemas"]["AuditAction"]["enum"];
  std::set<std::string> in_contract, in_code;
  for (const auto& item : listed.GetArray())
    in_contract.insert(item.GetString());
  for (const auto& entry : kVocabulary)
    in_code.insert(std::string(entry.second));
  EXPECT_EQ(in_contract, in_code);
}

TEST(AuditRecord, SessionHashIsSha256HexOfTheId) {
  EXPECT_EQ(session_hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(session_hash(""), "");
}

TEST(ChainCheck, AcceptsAnIntactChain) {
  EXPECT_FALSE(check_all(chain(5)));
  EXPECT_FALSE(check_all({}));
}

TEST(ChainCheck, NamesAChangedField) {
  auto rows = chain(5);
  rows[2].reason = "rewritten";
  const auto broken = check_all(rows);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->id, 3);
}

TEST(ChainCheck, NamesAMissingRow) {
  auto rows = chain(5);
  rows.erase(rows.begin() + 2);
  const auto broken = check_all(rows);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->id, 3);
  EXPECT_NE(broken->problem.find("missing"), std::string::npos);
}

TEST(ChainCheck, NamesARecomputedRowByItsSuccessor) {
  // Rewriting a row and its own hash still breaks the link to the next row.
  auto rows = chain(5);
  rows[1].reason = "rewritten";
  rows[1].hash = chain_hash(rows[1]);
  const auto broken = check_all(rows);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->id, 3);
}

TEST(ChainCheck, NamesRowsCutOffTheEnd) {
  auto rows = chain(5);
  ChainCheck check(0, std::string(kGenesisHash));
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(check.next(rows[i]));
  const auto broken = check.finish(5, rows[4].hash);
  ASSERT_TRUE(broken);
  EXPECT_EQ(broken->id, 4);
}

TEST(ChainCheck, StartsFromAnAnchor) {
  auto rows = chain(5);
  ChainCheck check(2, rows[1].hash);
  for (int i = 2; i < 5; ++i)
    ASSERT_FALSE(check.next(rows[i]));
  EXPECT_FALSE(check.finish(5, rows[4].hash));
  EXPECT_EQ(check.checked(), 3);
}

}  // namespace
}  // namespace faultline::api::audit
