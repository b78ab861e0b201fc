// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/audit.h"

#include <gtest/gtest.h>

namespace automon::registrar {
namespace {

TEST(AuditTest, LineHasEveryFieldInOrder) {
  EXPECT_EQ(AuditLine({AuditEvent::kRegistered, "web01.example.org", "SHA256:abc", 42, "active"}),
            "audit: event=registered host=web01.example.org key=SHA256:abc generation=42 "
            "reason=\"active\"");
}

TEST(AuditTest, UnknownFieldsAreDashes) {
  EXPECT_EQ(AuditLine({AuditEvent::kState, "a", "", std::nullopt, ""}),
            "audit: event=state host=a key=- generation=- reason=\"\"");
}

TEST(AuditTest, ReasonIsOneEscapedLineAndFieldsStayWords) {
  EXPECT_EQ(AuditLine({AuditEvent::kRefused, "a b\nevent=x", "k", 1, "say \"hi\"\\\nthere"}),
            "audit: event=refused host=a?b?event=x key=k generation=1 "
            "reason=\"say \\\"hi\\\"\\\\ there\"");
}

}  // namespace
}  // namespace automon::registrar
