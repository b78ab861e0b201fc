// UTF-8 validation (RFC 3629): no overlong forms, no surrogates, nothing
// above U+10FFFF.
#ifndef AUTOMON_COMMON_UTF8_H_
#define AUTOMON_COMMON_UTF8_H_

#include <cstddef>
#include <string_view>

namespace automon {

// The length of the valid UTF-8 sequence starting at s[i], or 0 when the
// bytes there are not valid UTF-8. `i` must be < s.size().
size_t Utf8SequenceLength(std::string_view s, size_t i);

}  // namespace automon

#endif  // AUTOMON_COMMON_UTF8_H_
