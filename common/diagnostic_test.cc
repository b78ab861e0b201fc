// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/diagnostic.h"

#include <gtest/gtest.h>

namespace automon {
namespace {

TEST(DiagnosticTest, RendersLocationSourceLineAndCaret) {
  const Diagnostic d{Severity::kError,
                     {"/etc/monitoring-info/web", 3, 12},
                     "invalid port 'http': expected a number from 1 to 65535",
                     "port     = http"};
  EXPECT_EQ(d.Render(),
            "/etc/monitoring-info/web:3:12: error: invalid port 'http': expected a number "
            "from 1 to 65535\n"
            "port     = http\n"
            "           ^");
}

TEST(DiagnosticTest, RendersWarningWithoutColumnOrSource) {
  const Diagnostic d{Severity::kWarning, {"f", 7, 0}, "careful", ""};
  EXPECT_EQ(d.Render(), "f:7: warning: careful");
}

TEST(DiagnosticTest, MasksControlCharactersInSourceLine) {
  const Diagnostic d{Severity::kError, {"f", 1, 3}, "bad", "a\x1b[31mb\tc"};
  EXPECT_EQ(d.Render(), "f:1:3: error: bad\na?[31mb\tc\n  ^");
}

TEST(DiagnosticTest, MasksInvalidUtf8ButKeepsValidText) {
  const Diagnostic d{Severity::kError, {"f", 1, 8}, "bad", "caf\xC3\xA9 \xC0\xAFx"};
  EXPECT_EQ(d.Render(), "f:1:8: error: bad\ncaf\xC3\xA9 ??x\n       ^");
}

TEST(DiagnosticTest, MasksBidiControlsAndLineSeparatorsInMessageAndSourceLine) {
  // U+202E in the quoted value and the source line, U+2028 in the message.
  const Diagnostic d{Severity::kError,
                     {"f", 1, 7},
                     "invalid value 'a\xE2\x80\xAE"
                     "b\xE2\x80\xA8x'\nforged",
                     "key = a\xE2\x80\xAE"
                     "b"};
  EXPECT_EQ(d.Render(),
            "f:1:7: error: invalid value 'a???b???x'?forged\n"
            "key = a???b\n"
            "      ^");
}

TEST(DiagnosticTest, HasErrorsIgnoresWarnings) {
  std::vector<Diagnostic> list{{Severity::kWarning, {"f", 1, 0}, "w", ""}};
  EXPECT_FALSE(HasErrors(list));
  list.push_back({Severity::kError, {"f", 2, 0}, "e", ""});
  EXPECT_TRUE(HasErrors(list));
}

}  // namespace
}  // namespace automon
