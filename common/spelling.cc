// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/spelling.h"

#include <algorithm>
#include <vector>

namespace automon {
namespace {

char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

int EditDistance(std::string_view a, std::string_view b) {
  const size_t n = a.size(), m = b.size();
  // Three rows suffice for the transposition rule.
  std::vector<int> prev2(m + 1), prev(m + 1), cur(m + 1);
  for (size_t j = 0; j <= m; ++j) prev[j] = static_cast<int>(j);
  for (size_t i = 1; i <= n; ++i) {
    cur[0] = static_cast<int>(i);
    for (size_t j = 1; j <= m; ++j) {
      const int cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
    }
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[m];
}

std::optional<std::string> SuggestNearMiss(std::string_view word,
                                           std::span<const std::string_view> candidates) {
  const int limit = std::min(2, std::max(1, static_cast<int>(word.size()) / 3));
  std::string lowered;  // made only when a candidate is close enough in length
  std::optional<std::string> best;
  int best_distance = limit + 1;
  for (std::string_view candidate : candidates) {
    // The distance is at least the difference in length: a word far longer
    // (or shorter) than every candidate costs nothing to rule out, however
    // long it is (an attacker's 4,000-byte key).
    const size_t longer = std::max(word.size(), candidate.size());
    const size_t shorter = std::min(word.size(), candidate.size());
    if (longer - shorter >= static_cast<size_t>(best_distance)) continue;
    if (lowered.empty() && !word.empty()) {
      lowered = std::string(word);
      std::transform(lowered.begin(), lowered.end(), lowered.begin(), Lower);
    }
    const int d = EditDistance(lowered, candidate);
    if (d < best_distance) {
      best_distance = d;
      best = std::string(candidate);
    }
  }
  return best;
}

}  // namespace automon
