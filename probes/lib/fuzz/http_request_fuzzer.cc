// SPDX-License-Identifier: GPL-2.0-or-later
// Fuzzes the exporter's HTTP request parser, the first thing a hostile
// client reaches. Properties: the parser never holds on to more than the
// limit (a head past it is refused, never incomplete), a complete request
// is a GET of a printable "/path" with lower-case header names, a refusal
// is a 4xx/5xx that serialises, and the query decoder never fails twice
// the same way differently (decode is deterministic).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/check.h"
#include "probes/lib/http_server.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace automon::probe;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  ServerLimits limits;
  limits.max_request_bytes = 1024;
  limits.max_headers = 16;
  const ParsedRequest parsed = ParseRequestHead(text, limits);
  switch (parsed.kind) {
    case ParsedRequest::Kind::kIncomplete:
      AUTOMON_CHECK(size < limits.max_request_bytes);
      break;
    case ParsedRequest::Kind::kRefused:
      AUTOMON_CHECK(parsed.refusal.status >= 400 && parsed.refusal.status < 600);
      AUTOMON_CHECK(SerializeResponse(parsed.refusal).starts_with("HTTP/1.1 "));
      break;
    case ParsedRequest::Kind::kComplete: {
      const ServerRequest& r = parsed.request;
      AUTOMON_CHECK(r.method == "GET");
      AUTOMON_CHECK(r.path.starts_with('/'));
      for (char c : r.path + r.query) AUTOMON_CHECK(c > 0x20 && c < 0x7f);
      AUTOMON_CHECK(r.headers.size() <= limits.max_headers);
      for (const auto& [name, value] : r.headers) {
        AUTOMON_CHECK(!name.empty());
        for (char c : name) AUTOMON_CHECK(!(c >= 'A' && c <= 'Z'));
        for (char c : value) AUTOMON_CHECK(c != '\n' && c != '\r');
      }
      auto first = QueryParameter(r.query, "target");
      auto second = QueryParameter(r.query, "target");
      AUTOMON_CHECK(first.ok() == second.ok());
      if (first.ok()) AUTOMON_CHECK(*first == *second);
      break;
    }
  }
  return 0;
}
