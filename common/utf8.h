// SPDX-License-Identifier: GPL-2.0-or-later
// UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing
// above U+10FFFF.
#ifndef AUTOMON_COMMON_UTF8_H_
#define AUTOMON_COMMON_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace automon {

// The length of the valid UTF-8 sequence starting at s[i], or 0 when the
// bytes there are not valid UTF-8. `i` must be < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

// The code point of the valid sequence of `len` bytes at s[i] (as
// Utf8SequenceLength found it).
char32_t Utf8Decode(std::string_view s, size_t i, size_t len);

// True for the code points that change how the text around them displays
// though they show nothing themselves, treated like control characters in
// anything shown to a person: the C1 controls (U+0080 to U+009F, NEL among
// them), the line and paragraph separators U+2028 and U+2029, and the
// bidirectional controls (U+061C, U+200E, U+200F, U+202A to U+202E, U+2066
// to U+2069) with which U+202E makes "gpj.exe" read "exe.jpg".
bool IsDisplayControl(char32_t cp);

}  // namespace automon

#endif  // AUTOMON_COMMON_UTF8_H_
