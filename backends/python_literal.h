// SPDX-License-Identifier: GPL-2.0-or-later
// A strict encoder of Python literals, for the Checkmk renderer: Checkmk
// executes the .mk files it reads as Python, so a value that is not encoded
// exactly is code execution on the monitoring server (reference
// monitoring-config-formats.md §3.3). This is a security boundary of its
// own: it assumes nothing about earlier validation.
//
// The output is pure printable ASCII. Strings are single-quoted; every byte
// or code point outside printable ASCII, the quote and the backslash are
// escaped (\\, \', \t, \n, \r, \xNN up to U+00FF, \uNNNN in the BMP,
// \UNNNNNNNN above), so no literal newline, NUL, U+2028 or bidi control
// ever reaches the file. Input strings must be valid UTF-8; surrogates,
// overlong forms and code points above U+10FFFF are refused.
#ifndef AUTOMON_BACKENDS_PYTHON_LITERAL_H_
#define AUTOMON_BACKENDS_PYTHON_LITERAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/result.h"

namespace automon::backends {

// A Python value built only of literals: str, int, bool, None, list, tuple
// and dict (insertion-ordered, as Python's). A value type; compare with ==.
class PyValue {
 public:
  enum class Kind { kNone, kBool, kInt, kStr, kList, kTuple, kDict };

  PyValue() = default;  // None
  static PyValue Str(std::string utf8);
  static PyValue Int(int64_t value);
  static PyValue Bool(bool value);
  static PyValue List(std::vector<PyValue> items = {});
  static PyValue Tuple(std::vector<PyValue> items = {});
  // A dict with str keys, in this order.
  static PyValue Dict(std::vector<std::pair<std::string, PyValue>> entries = {});

  // Appends to a list or tuple; adds a str key to a dict. AUTOMON_CHECKs the kind.
  PyValue& Append(PyValue item);
  PyValue& Set(std::string key, PyValue value);

  Kind kind() const { return kind_; }
  bool operator==(const PyValue&) const = default;

 private:
  friend Result<std::string> EncodePython(const PyValue& value);
  Kind kind_ = Kind::kNone;
  bool bool_ = false;
  int64_t int_ = 0;
  std::string str_;
  std::vector<PyValue> items_;     // list, tuple; dict values
  std::vector<std::string> keys_;  // dict keys, parallel to items_
};

// 'text' with the escapes above. The Error names the offending byte offset
// and why (invalid UTF-8, a surrogate, too long).
Result<std::string> EncodePythonString(std::string_view utf8);

// The literal of `value`, in Python's own repr layout ("{'a': [1, 'b']}",
// a one-element tuple as "(x,)"). Fails when any string inside fails.
Result<std::string> EncodePython(const PyValue& value);

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_PYTHON_LITERAL_H_
