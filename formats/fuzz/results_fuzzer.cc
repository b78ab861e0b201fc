// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes the results and replies parsers: a results document is the
// registrar's input from a hostile host, a reply document the agent's from
// a registrar. Property: whatever parses serialises to bytes that parse to
// the same value and serialise to the same bytes; SplitPluginOutput never
// grows its input.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "formats/results.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace automon;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto parsed = formats::ParseResults(text); parsed.ok()) {
    const std::string again = formats::SerializeResults(*parsed);
    const auto reparsed = formats::ParseResults(again);
    AUTOMON_CHECK(reparsed.ok());
    AUTOMON_CHECK(*reparsed == *parsed);
    AUTOMON_CHECK(again == text);  // the format is canonical
  }
  if (const auto replies = formats::ParseReplies(text); replies.ok()) {
    const std::string again = formats::SerializeReplies(*replies);
    const auto reparsed = formats::ParseReplies(again);
    AUTOMON_CHECK(reparsed.ok());
    AUTOMON_CHECK(*reparsed == *replies);
  }
  formats::PassiveResult split;
  formats::SplitPluginOutput(text, split);
  AUTOMON_CHECK(split.output.size() + split.long_output.size() + split.perfdata.size() <= size);
  return 0;
}
