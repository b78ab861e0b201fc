// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/probe_main.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <stdexcept>
#include <string>

#include "probes/lib/state.h"

namespace automon::probe {
namespace {

// The bytes GuardedMain wrote to its stream.
class GuardedMainTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NE(out_, nullptr); }
  void TearDown() override { std::fclose(out_); }
  std::string Written() {
    std::fflush(out_);
    std::rewind(out_);
    std::string text;
    for (int c; (c = std::fgetc(out_)) != EOF;) text.push_back(static_cast<char>(c));
    return text;
  }
  std::FILE* out_ = std::tmpfile();
};

TEST_F(GuardedMainTest, ReturnsTheBodysStateAndWritesNothing) {
  EXPECT_EQ(GuardedMain([] { return kWarning; }, out_), kWarning);
  EXPECT_EQ(Written(), "");
}

TEST_F(GuardedMainTest, AnEscapingExceptionIsOneErrorLineAndUnknown) {
  EXPECT_EQ(GuardedMain([]() -> int { throw std::runtime_error("bad_alloc in parser"); }, out_),
            kUnknown);
  EXPECT_EQ(Written(), "Error: internal error: bad_alloc in parser\n");
}

TEST_F(GuardedMainTest, ANonStandardExceptionIsCaughtToo) {
  EXPECT_EQ(GuardedMain([]() -> int { throw 42; }, out_), kUnknown);
  EXPECT_EQ(Written(), "Error: internal error: an unknown exception\n");
}

}  // namespace
}  // namespace automon::probe
