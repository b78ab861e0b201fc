// SPDX-License-Identifier: GPL-2.0-or-later
// Parsing monitoring-info definitions into validated, normalised Services.
//
// Parse, then validate, then apply are separate steps: LexIni() turns text
// into sections, ParseService() validates one section against the schema,
// and callers decide what to do with the result. Nothing here does I/O.
#ifndef AUTOMON_FORMATS_PARSER_H_
#define AUTOMON_FORMATS_PARSER_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostic.h"
#include "formats/ini.h"
#include "formats/service.h"

namespace automon::formats {

// Where a section comes from decides one rule: a snapshot's sections carry
// `source = path:line` (the host's file and line), which becomes the
// Service's loc; definition files must not use that key.
enum class ParseMode { kDefinitions, kSnapshot };

struct ParseResult {
  std::vector<Service> services;  // the valid sections, in file order
  std::vector<Diagnostic> diagnostics;

  bool operator==(const ParseResult&) const = default;
};

// Validates one section. Returns the Service, or nullopt when the section
// has any error; every problem found is appended to `diagnostics` (errors
// and warnings), each naming file, line, column, key and value. A section
// the lexer marked broken gives nullopt and no further diagnostics.
//
// Near-miss suggestions ("did you mean 'hostname'?") are worked out only
// while `*suggestions_left` (when given) is positive, and each one taken
// decrements it: callers give one budget per document, so a document of
// thousands of unknown keys costs no more than a benign one.
std::optional<Service> ParseService(const IniSection& section, ParseMode mode,
                                    std::vector<Diagnostic>& diagnostics,
                                    int* suggestions_left = nullptr);

// The suggestions one document gets (ParseDefinitions, ParseSnapshot).
inline constexpr int kMaxSuggestionsPerDocument = 20;

// Parses one definition file. A section that repeats an earlier section's
// name is an error (naming both lines) and is dropped.
ParseResult ParseDefinitions(std::string_view text, std::string_view filename);

// Keeps the first service of each name and of each description (the
// monitoring UI's service name, which must be unique per host) and drops
// later ones with an error naming both places.
void RejectDuplicateServices(std::vector<Service>& services, std::vector<Diagnostic>& diagnostics);

// True for names allowed as a section (service) name:
// [A-Za-z0-9][A-Za-z0-9._-]*, at most 64 bytes.
bool IsValidServiceName(std::string_view name);

// The section for `service` in the definition syntax, with all values
// normalised and every default spelled out, ending in a newline. The
// password is written only when `reveal_secrets`, else shown as
// Secret::Redacted(); `source = file:line` is written when `with_source`.
// For a valid Service, ParseService(LexIni(FormatService(s, true, true)))
// in kSnapshot mode gives back s.
std::string FormatService(const Service& service, bool reveal_secrets, bool with_source);

}  // namespace automon::formats

#endif  // AUTOMON_FORMATS_PARSER_H_
