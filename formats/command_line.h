// SPDX-License-Identifier: GPL-2.0-or-later
// The `command` key of a `command` service: a program and its arguments,
// written the way a shell splits words (blanks separate words; single
// quotes, double quotes and backslashes as in sh(1)) but never run through
// a shell. Nothing is expanded: no variables, no globs, no redirections.
// Pure functions, no I/O.
#ifndef AUTOMON_FORMATS_COMMAND_LINE_H_
#define AUTOMON_FORMATS_COMMAND_LINE_H_

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace automon::formats {

// At most this many words and bytes in one command line.
inline constexpr size_t kMaxCommandWords = 256;
inline constexpr size_t kMaxCommandBytes = 4096;

// Splits `text` into words. Errors (as values) for: an empty line, an
// unterminated quote, a trailing backslash, a control byte, too many words
// or bytes, and an unquoted shell operator or expansion character
// (| & ; < > ( ) $ ` * ? [ ] { } ~ at the start of a word), which would
// mean something else to a shell: the message says to quote it.
// The caller decides whether the first word must be absolute (see
// ParseCommandLine).
Result<std::vector<std::string>> SplitCommandLine(std::string_view text);

// SplitCommandLine, plus: the first word is an absolute path without "."
// or ".." components. This is what the `command` key accepts.
Result<std::vector<std::string>> ParseCommandLine(std::string_view text);

// One word quoted canonically: as is when it consists of letters, digits
// and @%+=:,./_- only; else in single quotes, a ' written as '\'' and a
// ';' as \; (so that no " ;" can read back as an INI comment).
std::string QuoteWord(std::string_view word);

// The words quoted canonically and joined by single blanks. For any words,
// SplitCommandLine(JoinCommandLine(w)) gives back w.
std::string JoinCommandLine(std::span<const std::string> words);

}  // namespace automon::formats

#endif  // AUTOMON_FORMATS_COMMAND_LINE_H_
