// SPDX-License-Identifier: GPL-2.0-or-later
// `automon-agent send`'s input: send_nsca's format, one result a line,
//   host<D>service<D>code<D>output     a service result
//   host<D>code<D>output               a host result (refused: automon
//                                      sends service results only)
// with <D> a TAB unless -d says otherwise. The output is the rest of the
// line (it may hold the delimiter); a literal \n in it is a line break
// (long output) and \\ a backslash. Pure functions, no I/O.
#ifndef AUTOMON_AGENT_SEND_INPUT_H_
#define AUTOMON_AGENT_SEND_INPUT_H_

#include <string>
#include <string_view>

#include "common/result.h"

namespace automon::agent {

struct SendLine {
  std::string host;
  std::string service;
  int code = 3;
  std::string output;  // unescaped: plugin output with real line breaks

  bool operator==(const SendLine&) const = default;
};

// Parses one input line (without its line end; a trailing CR is
// ignored). Errors say what is wrong with the line, quoting it shortly.
Result<SendLine> ParseSendLine(std::string_view line, char delimiter);

// The delimiter of -d: one character, or an escape \t; an Error otherwise.
Result<char> ParseDelimiter(std::string_view text);

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_SEND_INPUT_H_
