// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/python_literal.h"

#include <fmt/format.h>

#include <iterator>

#include "common/check.h"
#include "common/utf8.h"

namespace automon::backends {
namespace {

// A generous bound: no value a host sends comes near it, and it keeps a
// hostile string from making a multi-megabyte .mk file.
constexpr size_t kMaxStringBytes = 64 * 1024;

uint32_t DecodeValid(std::string_view s, size_t i, size_t length) {
  const auto byte = [&](size_t k) {
    return static_cast<uint32_t>(static_cast<unsigned char>(s[i + k]));
  };
  switch (length) {
    case 1:
      return byte(0);
    case 2:
      return ((byte(0) & 0x1f) << 6) | (byte(1) & 0x3f);
    case 3:
      return ((byte(0) & 0x0f) << 12) | ((byte(1) & 0x3f) << 6) | (byte(2) & 0x3f);
    default:
      return ((byte(0) & 0x07) << 18) | ((byte(1) & 0x3f) << 12) | ((byte(2) & 0x3f) << 6) |
             (byte(3) & 0x3f);
  }
}

}  // namespace

PyValue PyValue::Str(std::string utf8) {
  PyValue v;
  v.kind_ = Kind::kStr;
  v.str_ = std::move(utf8);
  return v;
}

PyValue PyValue::Int(int64_t value) {
  PyValue v;
  v.kind_ = Kind::kInt;
  v.int_ = value;
  return v;
}

PyValue PyValue::Bool(bool value) {
  PyValue v;
  v.kind_ = Kind::kBool;
  v.bool_ = value;
  return v;
}

PyValue PyValue::List(std::vector<PyValue> items) {
  PyValue v;
  v.kind_ = Kind::kList;
  v.items_ = std::move(items);
  return v;
}

PyValue PyValue::Tuple(std::vector<PyValue> items) {
  PyValue v;
  v.kind_ = Kind::kTuple;
  v.items_ = std::move(items);
  return v;
}

PyValue PyValue::Dict(std::vector<std::pair<std::string, PyValue>> entries) {
  PyValue v;
  v.kind_ = Kind::kDict;
  for (auto& [key, value] : entries) v.Set(std::move(key), std::move(value));
  return v;
}

PyValue& PyValue::Append(PyValue item) {
  AUTOMON_CHECK(kind_ == Kind::kList || kind_ == Kind::kTuple);
  items_.push_back(std::move(item));
  return *this;
}

PyValue& PyValue::Set(std::string key, PyValue value) {
  AUTOMON_CHECK(kind_ == Kind::kDict);
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (keys_[i] == key) {
      items_[i] = std::move(value);
      return *this;
    }
  }
  keys_.push_back(std::move(key));
  items_.push_back(std::move(value));
  return *this;
}

namespace {

// EncodePythonString's text, appended to `out` (left as it was on error).
Result<void> AppendPythonString(std::string& out, std::string_view s) {
  if (s.size() > kMaxStringBytes) {
    return Error{
        fmt::format("string of {} bytes is over the limit of {}", s.size(), kMaxStringBytes)};
  }
  const size_t before = out.size();
  out.reserve(before + s.size() + 2);
  out += '\'';
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const size_t length = Utf8SequenceLength(s, i);
    if (length == 0) {
      out.resize(before);
      if (c == 0xed && i + 1 < s.size() && (static_cast<unsigned char>(s[i + 1]) & 0xe0) == 0xa0) {
        return Error{fmt::format("a UTF-16 surrogate at offset {} is not a character", i)};
      }
      return Error{fmt::format("byte 0x{:02x} at offset {} is not valid UTF-8", c, i)};
    }
    const uint32_t cp = DecodeValid(s, i, length);
    i += length;
    if (cp == '\\') {
      out += "\\\\";
    } else if (cp == '\'') {
      out += "\\'";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp >= 0x20 && cp < 0x7f) {
      out += static_cast<char>(cp);
    } else if (cp <= 0xff) {
      fmt::format_to(std::back_inserter(out), "\\x{:02x}", cp);
    } else if (cp <= 0xffff) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", cp);
    } else {
      fmt::format_to(std::back_inserter(out), "\\U{:08x}", cp);
    }
  }
  out += '\'';
  return {};
}

}  // namespace

Result<std::string> EncodePythonString(std::string_view s) {
  std::string out;
  if (auto a = AppendPythonString(out, s); !a) return a.error();
  return out;
}

Result<std::string> EncodePython(const PyValue& value) {
  // One text appended to all the way down, not a string per level.
  std::string out;
  auto append = [&out](const PyValue& v, const auto& self) -> Result<void> {
    switch (v.kind_) {
      case PyValue::Kind::kNone:
        out += "None";
        return {};
      case PyValue::Kind::kBool:
        out += v.bool_ ? "True" : "False";
        return {};
      case PyValue::Kind::kInt:
        fmt::format_to(std::back_inserter(out), "{}", v.int_);
        return {};
      case PyValue::Kind::kStr:
        return AppendPythonString(out, v.str_);
      case PyValue::Kind::kList:
      case PyValue::Kind::kTuple: {
        const bool list = v.kind_ == PyValue::Kind::kList;
        out += list ? '[' : '(';
        for (size_t i = 0; i < v.items_.size(); ++i) {
          if (i > 0) out += ", ";
          if (auto item = self(v.items_[i], self); !item) return item;
        }
        if (!list && v.items_.size() == 1) out += ',';
        out += list ? ']' : ')';
        return {};
      }
      case PyValue::Kind::kDict: {
        out += '{';
        for (size_t i = 0; i < v.items_.size(); ++i) {
          if (i > 0) out += ", ";
          if (auto key = AppendPythonString(out, v.keys_[i]); !key) return key;
          out += ": ";
          if (auto item = self(v.items_[i], self); !item) return item;
        }
        out += '}';
        return {};
      }
    }
    return Error{"unknown Python value kind"};
  };
  if (auto a = append(value, append); !a) return a.error();
  return out;
}

}  // namespace automon::backends
