// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/schedule.h"

#include <fmt/format.h>

#include <array>
#include <functional>
#include <vector>

#include "common/parse_integer.h"
#include "common/spelling.h"
#include "common/text.h"

namespace automon::formats {
namespace {

constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};
constexpr std::array<std::string_view, 5> kFields = {"minute", "hour", "day", "month",
                                                     "day_of_week"};

struct FieldRange {
  int min;
  int max;
};

FieldRange RangeOf(std::string_view field) {
  if (field == "minute") return {0, 59};
  if (field == "hour") return {0, 23};
  if (field == "day") return {1, 31};
  if (field == "month") return {1, 12};
  return {0, 7};  // day_of_week; 7 is Sunday too
}

std::optional<int> ParseValue(std::string_view field, std::string_view s) {
  if (field == "day_of_week") {
    std::string lower(s);
    for (char& c : lower) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    for (size_t i = 0; i < kDayNames.size(); ++i) {
      if (lower == kDayNames[i]) return static_cast<int>(i);
    }
  }
  if (s.empty() || s.size() > 2) return std::nullopt;
  const FieldRange r = RangeOf(field);
  const Result<int> n = ParseInteger(s, r.min, r.max);
  if (!n) return std::nullopt;
  return *n;
}

// Parses one field's list into a vector of allowed flags indexed by value.
Result<std::vector<bool>> ParseList(std::string_view field, std::string_view list) {
  const FieldRange r = RangeOf(field);
  std::vector<bool> allowed(static_cast<size_t>(r.max + 1), false);
  auto expected = [&]() {
    if (field == "day_of_week") return std::string("mon, tue, wed, thu, fri, sat, sun or 0-7");
    return fmt::format("numbers from {} to {}", r.min, r.max);
  };
  auto invalid = [&](std::string_view item) {
    return Error{
        fmt::format("invalid value '{}' in schedule field '{}': expected {}, ranges "
                    "a-b, separated by commas",
                    Abbreviate(item), field, expected())};
  };
  if (list == "*") {
    for (int v = r.min; v <= r.max; ++v) allowed[static_cast<size_t>(v)] = true;
    return allowed;
  }
  if (list.empty()) return invalid(list);
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    const std::string_view item = list.substr(start, comma - start);
    if (item.empty()) return invalid(list);
    const size_t dash = item.find('-');
    if (dash == std::string_view::npos) {
      const auto v = ParseValue(field, item);
      if (!v) return invalid(item);
      allowed[static_cast<size_t>(*v)] = true;
    } else {
      const auto a = ParseValue(field, item.substr(0, dash));
      const auto b = ParseValue(field, item.substr(dash + 1));
      if (!a || !b) return invalid(item);
      // Sunday may be 0 or 7; as a range end, 7 means "up to Sunday".
      int from = *a;
      int to = *b;
      if (from <= to) {
        for (int v = from; v <= to; ++v) allowed[static_cast<size_t>(v)] = true;
      } else {
        for (int v = from; v <= r.max; ++v) allowed[static_cast<size_t>(v)] = true;
        for (int v = r.min; v <= to; ++v) allowed[static_cast<size_t>(v)] = true;
      }
    }
    start = comma + 1;
  }
  return allowed;
}

template <size_t N>
std::bitset<N> ToBits(const std::vector<bool>& allowed) {
  std::bitset<N> bits;
  for (size_t i = 0; i < allowed.size() && i < N; ++i) bits[i] = allowed[i];
  return bits;
}

// "1-5,7,9-10" from the set values in order `order`.
std::string Ranges(const std::vector<int>& order, const std::vector<bool>& set,
                   const std::function<std::string(int)>& name) {
  std::string out;
  size_t i = 0;
  while (i < order.size()) {
    if (!set[static_cast<size_t>(order[i])]) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 < order.size() && set[static_cast<size_t>(order[j + 1])] &&
           order[j + 1] == order[j] + 1) {
      ++j;
    }
    if (!out.empty()) out += ',';
    out += name(order[i]);
    if (j > i) out += "-" + name(order[j]);
    i = j + 1;
  }
  return out;
}

template <size_t N>
std::string NumericField(const std::bitset<N>& bits, int min, int max) {
  std::vector<int> order;
  std::vector<bool> set(N, false);
  for (int v = min; v <= max; ++v) {
    order.push_back(v);
    set[static_cast<size_t>(v)] = bits[static_cast<size_t>(v)];
  }
  return Ranges(order, set, [](int v) { return std::to_string(v); });
}

}  // namespace

Result<Schedule> ParseSchedule(std::string_view text) {
  Schedule schedule;
  std::array<bool, kFields.size()> seen{};
  size_t i = 0;
  int count = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    if (i >= text.size()) break;
    const size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    const std::string_view item = text.substr(start, i - start);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return Error{fmt::format(
          "invalid schedule item '{}': expected field=values, e.g. hour=9-17 day_of_week=mon-fri",
          Abbreviate(item))};
    }
    const std::string_view field = item.substr(0, eq);
    const std::string_view values = item.substr(eq + 1);
    size_t index = kFields.size();
    for (size_t f = 0; f < kFields.size(); ++f) {
      if (kFields[f] == field) index = f;
    }
    if (index == kFields.size()) {
      std::vector<std::string_view> names(kFields.begin(), kFields.end());
      if (auto near = SuggestNearMiss(field, names)) {
        return Error{fmt::format("unknown schedule field '{}', did you mean '{}'?",
                                 Abbreviate(field), *near)};
      }
      return Error{fmt::format(
          "unknown schedule field '{}': expected minute, hour, day, month or day_of_week",
          Abbreviate(field))};
    }
    if (seen[index]) {
      return Error{fmt::format("schedule field '{}' given twice", field)};
    }
    seen[index] = true;
    ++count;
    auto allowed = ParseList(field, values);
    if (!allowed) return allowed.error();
    if (field == "minute") schedule.minute = ToBits<60>(*allowed);
    if (field == "hour") schedule.hour = ToBits<24>(*allowed);
    if (field == "day") schedule.day = ToBits<32>(*allowed);
    if (field == "month") schedule.month = ToBits<13>(*allowed);
    if (field == "day_of_week") {
      std::vector<bool> week(7, false);
      for (size_t d = 0; d < allowed->size(); ++d) {
        if ((*allowed)[d]) week[d % 7] = true;
      }
      schedule.day_of_week = ToBits<7>(week);
    }
  }
  if (count == 0) {
    return Error{"empty schedule: expected field=values, e.g. hour=9-17 day_of_week=mon-fri"};
  }
  return schedule;
}

bool Contains(const Schedule& s, const std::tm& t) {
  auto in = [](const auto& field, int v, int size) {
    if (!field) return true;
    return v >= 0 && v < size && (*field)[static_cast<size_t>(v)];
  };
  return in(s.minute, t.tm_min, 60) && in(s.hour, t.tm_hour, 24) && in(s.day, t.tm_mday, 32) &&
         in(s.month, t.tm_mon + 1, 13) && in(s.day_of_week, t.tm_wday, 7);
}

std::string ToString(const Schedule& s) {
  std::vector<std::string> parts;
  if (s.minute) parts.push_back("minute=" + NumericField(*s.minute, 0, 59));
  if (s.hour) parts.push_back("hour=" + NumericField(*s.hour, 0, 23));
  if (s.day) parts.push_back("day=" + NumericField(*s.day, 1, 31));
  if (s.month) parts.push_back("month=" + NumericField(*s.month, 1, 12));
  if (s.day_of_week) {
    // Monday first, as people write working weeks; 7 stands for Sunday so
    // that mon-sun is one range.
    const std::vector<int> order = {1, 2, 3, 4, 5, 6, 7};
    std::vector<bool> set(8, false);
    for (int d = 1; d <= 7; ++d) set[static_cast<size_t>(d)] = (*s.day_of_week)[d % 7];
    parts.push_back("day_of_week=" + Ranges(order, set, [](int d) {
                      return std::string(kDayNames[static_cast<size_t>(d % 7)]);
                    }));
  }
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty()) out += ' ';
    out += p;
  }
  return out;
}

}  // namespace automon::formats
