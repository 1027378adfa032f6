#include "ingest/standard_webhooks.hpp"

#include <gtest/gtest.h>

#include <string>

#include "common/base64.hpp"

namespace faultline {
namespace {

using ingest::standard_webhook_key;
using ingest::StandardSignatureCheck;
using ingest::StandardSignatureHeaders;
using ingest::StandardWebhookVerifier;

// The Standard Webhooks specification's published test vector (its reference
// libraries test against the same values).
constexpr const char* kSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr const char* kId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::int64_t kTimestamp = 1614265330;
constexpr const char* kBody = R"({"test": 2432232314})";
constexpr const char* kSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

std::string key() {
  return *standard_webhook_key(kSecret);
}

StandardWebhookVerifier verifier(std::chrono::seconds tolerance = std::chrono::minutes(5)) {
  return StandardWebhookVerifier({key()}, tolerance);
}

StandardSignatureHeaders headers(std::string_view signature,
                                 std::string_view timestamp = "1614265330") {
  return {kId, timestamp, signature};
}

TEST(StandardWebhooks, SignReproducesThePublishedTestVector) {
  EXPECT_EQ(StandardWebhookVerifier::sign(key(), kId, kTimestamp, kBody), kSignature);
}

TEST(StandardWebhooks, AcceptsThePublishedTestVector) {
  EXPECT_EQ(verifier().check(headers(kSignature), kBody, kTimestamp),
            StandardSignatureCheck::kValid);
}

TEST(StandardWebhooks, SecretsAreWhsecBase64) {
  EXPECT_EQ(key().size(), 24u);
  EXPECT_EQ(base64_encode(key()), "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
  for (const char* bad : {"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_", "whsec_not base64!",
                          "WHSEC_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", ""})
    EXPECT_FALSE(standard_webhook_key(bad)) << bad;
}

TEST(StandardWebhooks, ABodyIdOrTimestampChangedIsAMismatch) {
  const auto v = verifier();
  EXPECT_EQ(v.check(headers(kSignature), R"({"test": 2432232315})", kTimestamp),
            StandardSignatureCheck::kMismatch);
  EXPECT_EQ(v.check({"msg_other", "1614265330", kSignature}, kBody, kTimestamp),
            StandardSignatureCheck::kMismatch);
  EXPECT_EQ(v.check(headers(kSignature, "1614265331"), kBody, kTimestamp),
            StandardSignatureCheck::kMismatch);
}

TEST(StandardWebhooks, AnotherSecretIsAMismatchAndAnyConfiguredOneMatches) {
  const std::string other = "another key of twenty-four";
  EXPECT_EQ(StandardWebhookVerifier({other}, std::chrono::minutes(5))
                .check(headers(kSignature), kBody, kTimestamp),
            StandardSignatureCheck::kMismatch);
  // Rotation: the old and the new secret are both listed.
  EXPECT_EQ(StandardWebhookVerifier({other, key()}, std::chrono::minutes(5))
                .check(headers(kSignature), kBody, kTimestamp),
            StandardSignatureCheck::kValid);
}

TEST(StandardWebhooks, OneMatchingSignatureAmongSeveralIsEnough) {
  const auto v = verifier();
  // A sender in the middle of a rotation signs with both secrets; unknown
  // versions are skipped.
  const std::string several = std::string("v1,bm9wZQ== v1a,AAAA ") + kSignature;
  EXPECT_EQ(v.check(headers(several), kBody, kTimestamp), StandardSignatureCheck::kValid);
  EXPECT_EQ(v.check(headers(std::string("  ") + kSignature + "  "), kBody, kTimestamp),
            StandardSignatureCheck::kValid);
  // Another sender's signature of another body is not one of ours.
  const auto forged = StandardWebhookVerifier::sign("not our key", kId, kTimestamp, kBody);
  EXPECT_EQ(v.check(headers(forged), kBody, kTimestamp), StandardSignatureCheck::kMismatch);
}

TEST(StandardWebhooks, TheTimestampMustBeWithinTheToleranceEitherWay) {
  const auto v = verifier(std::chrono::minutes(5));
  EXPECT_EQ(v.check(headers(kSignature), kBody, kTimestamp + 300), StandardSignatureCheck::kValid);
  EXPECT_EQ(v.check(headers(kSignature), kBody, kTimestamp - 300), StandardSignatureCheck::kValid);
  EXPECT_EQ(v.check(headers(kSignature), kBody, kTimestamp + 301), StandardSignatureCheck::kStale);
  EXPECT_EQ(v.check(headers(kSignature), kBody, kTimestamp - 301), StandardSignatureCheck::kStale);
  // A replay a day later, with a valid signature, is refused.
  EXPECT_EQ(v.check(headers(kSignature), kBody, kTimestamp + 86400),
            StandardSignatureCheck::kStale);
  // The tolerance is configurable.
  EXPECT_EQ(verifier(std::chrono::seconds(10)).check(headers(kSignature), kBody, kTimestamp + 11),
            StandardSignatureCheck::kStale);
}

TEST(StandardWebhooks, AbsentIncompleteAndMalformedHeadersAreTold) {
  const auto v = verifier();
  EXPECT_EQ(v.check({}, kBody, kTimestamp), StandardSignatureCheck::kAbsent);
  EXPECT_EQ(v.check({"", "", ""}, kBody, kTimestamp), StandardSignatureCheck::kAbsent);
  EXPECT_EQ(v.check({kId, std::nullopt, kSignature}, kBody, kTimestamp),
            StandardSignatureCheck::kIncomplete);
  EXPECT_EQ(v.check({std::nullopt, "1614265330", kSignature}, kBody, kTimestamp),
            StandardSignatureCheck::kIncomplete);
  EXPECT_EQ(v.check({kId, "1614265330", ""}, kBody, kTimestamp),
            StandardSignatureCheck::kIncomplete);
  for (const char* timestamp : {"-1614265330", "1614265330.0", " 1614265330", "0x60380b72",
                                "16142653300000000", "2021-02-25T15:02:10Z"})
    EXPECT_EQ(v.check(headers(kSignature, timestamp), kBody, kTimestamp),
              StandardSignatureCheck::kMalformed)
        << timestamp;
  for (const char* signature :
       {"g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "v1,", "v1,not-base64!",
        "v1,bm9wZQ==", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "sha256=abc"})
    EXPECT_EQ(v.check(headers(signature), kBody, kTimestamp), StandardSignatureCheck::kMalformed)
        << signature;
}

TEST(StandardWebhooks, AHeaderOfManySignaturesIsRefusedUnread) {
  std::string many;
  for (int i = 0; i < 16; ++i)
    many += "v1,bm9wZQ== ";
  EXPECT_EQ(verifier().check(headers(many + kSignature), kBody, kTimestamp),
            StandardSignatureCheck::kMalformed);
  // Sixteen entries are still read.
  std::string fifteen;
  for (int i = 0; i < 15; ++i)
    fifteen += "v1,bm9wZQ== ";
  EXPECT_EQ(verifier().check(headers(fifteen + kSignature), kBody, kTimestamp),
            StandardSignatureCheck::kValid);
}

}  // namespace
}  // namespace faultline
