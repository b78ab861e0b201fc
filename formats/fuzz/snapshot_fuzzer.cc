// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes the snapshot parser, the registrar's first contact with a hostile
// host. Property: a document that parses without rejected services
// serialises to bytes that parse to the same snapshot.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "formats/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace automon;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parsed = formats::ParseSnapshot(text, "fuzz");
  if (!parsed.ok() || !parsed->rejected.empty()) return 0;
  const std::string again = formats::SerializeSnapshot(parsed->snapshot);
  const auto reparsed = formats::ParseSnapshot(again, "fuzz-again");
  AUTOMON_CHECK(reparsed.ok());
  AUTOMON_CHECK(reparsed->snapshot == parsed->snapshot);
  AUTOMON_CHECK(formats::SerializeSnapshot(reparsed->snapshot) == again);
  return 0;
}
