// SPDX-License-Identifier: GPL-2.0-or-later
// Near-miss suggestions for unknown words ("did you mean 'hostname'?").
#ifndef AUTOMON_COMMON_SPELLING_H_
#define AUTOMON_COMMON_SPELLING_H_

#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace automon {

// Damerau-Levenshtein distance (adjacent transpositions count as one edit),
// over bytes.
int EditDistance(std::string_view a, std::string_view b);

// The candidate closest to `word`, if one is close enough to be a plausible
// typo: at most 2 edits, and at most a third of the word's length for short
// words. Ties go to the earlier candidate. Comparison ignores ASCII case.
// Costs O(|word| x |candidate|) only for candidates within 2 bytes of the
// word's length, nothing for the others.
std::optional<std::string> SuggestNearMiss(std::string_view word,
                                           std::span<const std::string_view> candidates);

}  // namespace automon

#endif  // AUTOMON_COMMON_SPELLING_H_
