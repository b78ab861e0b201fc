// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes the definition-file parser. Besides "no crash, no sanitizer
// report", it checks a property: every service the parser accepts, written
// back with FormatService, parses to an equal service (the snapshot relies
// on this), and every diagnostic renders.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "formats/ini.h"
#include "formats/parser.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace automon;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const formats::ParseResult result = formats::ParseDefinitions(text, "/fuzz/input");
  for (const Diagnostic& d : result.diagnostics) (void)d.Render();
  for (const formats::Service& service : result.services) {
    const std::string written = formats::FormatService(service, true, true);
    std::vector<Diagnostic> diagnostics;
    const auto sections = formats::LexIni(written, "/fuzz/written", diagnostics);
    AUTOMON_CHECK(diagnostics.empty() && sections.size() == 1);
    const auto back =
        formats::ParseService(sections[0], formats::ParseMode::kSnapshot, diagnostics);
    AUTOMON_CHECK(back.has_value() && *back == service);
  }
  return 0;
}
