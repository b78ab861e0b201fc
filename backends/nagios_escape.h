// SPDX-License-Identifier: GPL-2.0-or-later
// Encoding host-supplied values for Nagios object configuration. This is a
// security boundary of its own (reference monitoring-config-formats.md
// §1.6): even though formats/ already validated every value against an
// allow-list, nothing here assumes it, so a bug or a gap there cannot turn
// into configuration or shell injection.
#ifndef AUTOMON_BACKENDS_NAGIOS_ESCAPE_H_
#define AUTOMON_BACKENDS_NAGIOS_ESCAPE_H_

#include <set>
#include <string>
#include <string_view>

#include "common/result.h"

namespace automon::backends {

// Encodes `value` to stand as one argument of a `check_command` line
// (cmd!ARG1!ARG2...) whose command_line wraps each $ARGn$ in single quotes.
// Refuses: bytes outside printable ASCII (control characters, NUL, DEL,
// anything non-ASCII), any backslash, and values over 4096 bytes. Encodes:
// '!' as "\!" (argument separator), '$' as "$$" (macro start, so $USER1$ or
// $HOSTADDRESS$ arrive literally), ';' as "\;" (comment start), and ''' as
// '\'' (closes, escapes and reopens the shell's single quotes). The Error
// names the offending byte and its offset.
Result<std::string> EncodeArgument(std::string_view value);

// Object names (host_name, hostgroup and command names): 1-253 bytes of
// [A-Za-z0-9._-], not starting with '.' or '-'.
bool IsSafeObjectName(std::string_view name);

// service_description: 1-128 bytes of [A-Za-z0-9 ._:/@+#-], no leading or
// trailing space, no two spaces in a row. None of these is in Debian's
// illegal_object_name_chars, none starts a comment or a macro.
bool IsSafeServiceDescription(std::string_view description);

// A host address: a host name, an IPv4 or an IPv6 literal:
// 1-253 bytes of [A-Za-z0-9.:-], not starting with '-'.
bool IsSafeAddress(std::string_view address);

// The service names and descriptions of one host as Nagios (and Checkmk,
// which keys services the same way) will see them.
class ServiceNames {
 public:
  // Why the service `name` described as `description` cannot be written
  // for this host (not a usable name or description, or one already taken
  // by an earlier service); empty when it can, and then it is taken.
  std::string Refusal(const std::string& name, const std::string& description);

 private:
  std::set<std::string> names_;
  std::set<std::string> descriptions_;
};

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_NAGIOS_ESCAPE_H_
