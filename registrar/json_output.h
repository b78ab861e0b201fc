// SPDX-License-Identifier: GPL-2.0-or-later
// The JSON documents of `hosts --json`, `show NAME --json` and
// `pending --json` (schema: automon-registrar(8), JSON OUTPUT). Building
// them is the callers'; this file holds the parts they share, so that every
// document is written the same way.
#ifndef AUTOMON_REGISTRAR_JSON_OUTPUT_H_
#define AUTOMON_REGISTRAR_JSON_OUTPUT_H_

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "formats/snapshot.h"
#include "registrar/lifecycle.h"

namespace automon::registrar {

// The "version" of every document; grows only when a field changes meaning
// or goes away (new fields may appear without it).
inline constexpr int kJsonVersion = 1;

// A host object with every key of the schema: the given name and state,
// everything else null and no services.
nlohmann::json HostJson(std::string_view name, std::string_view state);

// Sets address, generation and services of `host` from an accepted
// snapshot. Secrets are never part of it.
void AddSnapshotJson(nlohmann::json& host, const formats::Snapshot& snapshot);

// Sets last_seen (ISO 8601 UTC; null when no push was recorded yet) and
// lifecycle ("active", "silent" or "disabled") of `host`.
void AddLifecycleJson(nlohmann::json& host, const LifecycleRecord& record);

// `document` as text, one line per key, ending in a newline. Every string is
// escaped and anything outside ASCII is written as \uXXXX (so bidi and line
// separators from a host never reach a terminal raw); bytes that are not
// UTF-8 become U+FFFD instead of failing.
std::string JsonText(const nlohmann::json& document);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_JSON_OUTPUT_H_
