#include "common/text.h"

#include <gtest/gtest.h>

namespace automon {
namespace {

TEST(TextTest, TrimSpace) {
  EXPECT_EQ(TrimSpace("  a b \r\n"), "a b");
  EXPECT_EQ(TrimSpace(" \t\n"), "");
  EXPECT_EQ(TrimSpace(""), "");
  EXPECT_EQ(TrimSpace("x"), "x");
}

TEST(TextTest, SplitWords) {
  EXPECT_EQ(SplitWords("  register --host  web01 "),
            (std::vector<std::string_view>{"register", "--host", "web01"}));
  EXPECT_EQ(SplitWords("a, b,,c", " ,"), (std::vector<std::string_view>{"a", "b", "c"}));
  EXPECT_TRUE(SplitWords("   ").empty());
  EXPECT_TRUE(SplitWords("").empty());
}

}  // namespace
}  // namespace automon
