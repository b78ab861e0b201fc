// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/sha256.h"

#include <gtest/gtest.h>

#include <string>

namespace automon {
namespace {

// Test vectors from FIPS 180-4 examples and NIST CAVP (SHA256ShortMsg).
TEST(Sha256Test, MatchesKnownVectors) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(Sha256Hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(Sha256Hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, PaddingBoundariesAgreeWithIncrementalUpdates) {
  // 55, 56, 63 and 64 bytes straddle the one-or-two-block padding boundary;
  // feeding the same bytes in pieces must give the same digest.
  for (size_t n : {55u, 56u, 63u, 64u, 65u, 119u, 120u}) {
    const std::string data(n, 'x');
    Sha256 pieces;
    for (size_t i = 0; i < n; i += 7) pieces.Update(std::string_view(data).substr(i, 7));
    const auto split = pieces.Finish();
    Sha256 whole;
    whole.Update(data);
    EXPECT_EQ(split, whole.Finish()) << n;
  }
  EXPECT_EQ(Sha256Hex(std::string(64, 'a')),
            "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}

}  // namespace
}  // namespace automon
