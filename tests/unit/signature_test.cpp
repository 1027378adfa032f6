#include "ingest/signature.hpp"

#include <gtest/gtest.h>

#include <string>

namespace faultline {
namespace {

using ingest::SignatureCheck;
using ingest::SignatureVerifier;

// GitHub's published example ("Validating webhook deliveries").
constexpr const char* kSecret = "It's a Secret to Everybody";
constexpr const char* kPayload = "Hello, World!";
constexpr const char* kHeader =
    "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

TEST(SignatureVerifier, AcceptsGitHubTestVector) {
  const SignatureVerifier verifier({kSecret});
  EXPECT_EQ(verifier.check(kPayload, std::string_view(kHeader)).check, SignatureCheck::kValid);
}

TEST(SignatureVerifier, SignProducesGitHubTestVector) {
  EXPECT_EQ(SignatureVerifier::sign(kSecret, kPayload), kHeader);
}

TEST(SignatureVerifier, OneChangedHexDigitIsAMismatch) {
  const SignatureVerifier verifier({kSecret});
  std::string header = kHeader;
  header.back() = header.back() == '7' ? '8' : '7';
  EXPECT_EQ(verifier.check(kPayload, std::string_view(header)).check, SignatureCheck::kMismatch);
  header = kHeader;
  header[7] = header[7] == '7' ? '8' : '7';  // the first hex digit
  EXPECT_EQ(verifier.check(kPayload, std::string_view(header)).check, SignatureCheck::kMismatch);
}

TEST(SignatureVerifier, MissingOrEmptyHeaderIsMissing) {
  const SignatureVerifier verifier({kSecret});
  EXPECT_EQ(verifier.check(kPayload, std::nullopt).check, SignatureCheck::kMissing);
  EXPECT_EQ(verifier.check(kPayload, std::string_view("")).check, SignatureCheck::kMissing);
}

TEST(SignatureVerifier, WrongSchemeIsMalformed) {
  const SignatureVerifier verifier({kSecret});
  // X-Hub-Signature (SHA-1) sent in place of X-Hub-Signature-256.
  EXPECT_EQ(
      verifier.check(kPayload, std::string_view("sha1=d03207e4b030cf234e3447bac4d93add4c6643d8"))
          .check,
      SignatureCheck::kMalformed);
  // The right digest under another scheme name.
  const std::string digest = std::string(kHeader).substr(7);
  EXPECT_EQ(verifier.check(kPayload, std::string_view("sha1=" + digest)).check,
            SignatureCheck::kMalformed);
  EXPECT_EQ(verifier.check(kPayload, std::string_view("sha1=00" + digest)).check,
            SignatureCheck::kMalformed);  // the right total length, the wrong scheme
  EXPECT_EQ(verifier.check(kPayload, std::string_view("SHA256=" + digest)).check,
            SignatureCheck::kMalformed);
  // No scheme at all.
  EXPECT_EQ(verifier.check(kPayload, std::string_view(digest)).check, SignatureCheck::kMalformed);
}

TEST(SignatureVerifier, WrongLengthIsMalformed) {
  const SignatureVerifier verifier({kSecret});
  const std::string header = kHeader;
  EXPECT_EQ(verifier.check(kPayload, std::string_view(header.substr(0, header.size() - 1))).check,
            SignatureCheck::kMalformed);
  EXPECT_EQ(verifier.check(kPayload, std::string_view(header + "0")).check,
            SignatureCheck::kMalformed);
  EXPECT_EQ(verifier.check(kPayload, std::string_view("sha256=")).check,
            SignatureCheck::kMalformed);
}

TEST(SignatureVerifier, NonHexIsMalformed) {
  const SignatureVerifier verifier({kSecret});
  std::string header = kHeader;
  header.back() = 'g';
  EXPECT_EQ(verifier.check(kPayload, std::string_view(header)).check, SignatureCheck::kMalformed);
  header = kHeader;
  header[10] = ' ';
  EXPECT_EQ(verifier.check(kPayload, std::string_view(header)).check, SignatureCheck::kMalformed);
}

TEST(SignatureVerifier, UppercaseHexIsAccepted) {
  const SignatureVerifier verifier({kSecret});
  std::string header = kHeader;
  for (std::size_t i = 7; i < header.size(); ++i)
    header[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(header[i])));
  ASSERT_NE(header, kHeader);
  EXPECT_EQ(verifier.check(kPayload, std::string_view(header)).check, SignatureCheck::kValid);
}

TEST(SignatureVerifier, AnyRotatedSecretVerifies) {
  const SignatureVerifier verifier({"old", "new"});
  const std::string body = R"({"action":"completed"})";
  EXPECT_EQ(verifier.check(body, std::string_view(SignatureVerifier::sign("old", body))).check,
            SignatureCheck::kValid);
  EXPECT_EQ(verifier.check(body, std::string_view(SignatureVerifier::sign("new", body))).check,
            SignatureCheck::kValid);
  EXPECT_EQ(verifier.check(body, std::string_view(SignatureVerifier::sign("other", body))).check,
            SignatureCheck::kMismatch);
}

TEST(SignatureVerifier, NoSecretsVerifiesNothing) {
  const SignatureVerifier verifier({});
  EXPECT_EQ(verifier.check(kPayload, std::string_view(kHeader)).check, SignatureCheck::kMismatch);
}

TEST(SignatureVerifier, SignatureOverAnotherBodyIsRejected) {
  const SignatureVerifier verifier({kSecret});
  EXPECT_EQ(verifier.check("Hello, World?", std::string_view(kHeader)).check,
            SignatureCheck::kMismatch);
  EXPECT_EQ(verifier.check("Hello, World! ", std::string_view(kHeader)).check,
            SignatureCheck::kMismatch);
  EXPECT_EQ(verifier.check("", std::string_view(kHeader)).check, SignatureCheck::kMismatch);
}

TEST(SignatureVerifier, SignRoundTrips) {
  const SignatureVerifier verifier({"s3cr3t"});
  for (const std::string& body :
       {std::string(), std::string("{}"), std::string(100000, 'x'), std::string("with\0nul", 8)}) {
    const std::string header = SignatureVerifier::sign("s3cr3t", body);
    EXPECT_EQ(header.rfind("sha256=", 0), 0u);
    EXPECT_EQ(header.size(), 7u + 64u);
    EXPECT_EQ(verifier.check(body, std::string_view(header)).check, SignatureCheck::kValid);
  }
  EXPECT_NE(SignatureVerifier::sign("a", "body"), SignatureVerifier::sign("b", "body"));
  EXPECT_NE(SignatureVerifier::sign("a", "body"), SignatureVerifier::sign("a", "body2"));
}

}  // namespace
}  // namespace faultline
