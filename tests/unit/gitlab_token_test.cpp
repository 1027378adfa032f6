#include "ingest/gitlab_token.hpp"

#include <gtest/gtest.h>

#include <string>

namespace faultline {
namespace {

using ingest::GitLabTokenVerifier;
using ingest::TokenCheck;

TEST(GitLabToken, TheConfiguredTokenMatches) {
  const GitLabTokenVerifier verifier({"glwt-secret-token"});
  EXPECT_TRUE(verifier.configured());
  EXPECT_EQ(verifier.check(std::string_view("glwt-secret-token")), TokenCheck::kValid);
}

TEST(GitLabToken, AnyTokenOfTheRotationMatches) {
  const GitLabTokenVerifier verifier({"old-token", "new-token"});
  EXPECT_EQ(verifier.check(std::string_view("old-token")), TokenCheck::kValid);
  EXPECT_EQ(verifier.check(std::string_view("new-token")), TokenCheck::kValid);
  EXPECT_EQ(verifier.check(std::string_view("older-token")), TokenCheck::kMismatch);
}

TEST(GitLabToken, NearMissesAreMismatches) {
  const GitLabTokenVerifier verifier({"glwt-secret-token"});
  for (const char* wrong : {"glwt-secret-toke", "glwt-secret-token ", "GLWT-SECRET-TOKEN",
                            "glwt-secret-tokenx", "xglwt-secret-token", "glwt-secret-tokem"})
    EXPECT_EQ(verifier.check(std::string_view(wrong)), TokenCheck::kMismatch) << wrong;
  // A token is a string, not a prefix: an embedded NUL does not end it.
  EXPECT_EQ(verifier.check(std::string_view("glwt-secret-token\0x", 19)), TokenCheck::kMismatch);
}

TEST(GitLabToken, AMissingOrEmptyHeaderIsMissing) {
  const GitLabTokenVerifier verifier({"glwt-secret-token"});
  EXPECT_EQ(verifier.check(std::nullopt), TokenCheck::kMissing);
  EXPECT_EQ(verifier.check(std::string_view("")), TokenCheck::kMissing);
}

TEST(GitLabToken, WithNoTokenConfiguredNothingMatches) {
  const GitLabTokenVerifier verifier({});
  EXPECT_FALSE(verifier.configured());
  EXPECT_EQ(verifier.check(std::string_view("anything")), TokenCheck::kMismatch);
}

}  // namespace
}  // namespace faultline
