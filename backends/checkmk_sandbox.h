// SPDX-License-Identifier: GPL-2.0-or-later
// The sandbox check of generated Checkmk .mk files: a Python program the
// registrar runs (python3 -I -S -c SOURCE HOST FILE [HOST FILE]...) on every
// staged file before it may reach the site. A file passes only when
//
//   1. it is ASCII, at most 4 MiB, and parses as Python;
//   2. every statement is one of the forms backends/checkmk writes
//      (all_hosts += [...], custom_checks += [...], X.update({...}) for
//      host_tags, host_labels, ipaddresses, ipv6addresses, and
//      explicit_host_conf.setdefault('alias', {}) /
//      explicit_host_conf['alias'].update({...}), and for a disabled host
//      T.setdefault('A', []) / T['A'] = [...] + T['A'] with T
//      extra_host_conf or extra_service_conf and A active_checks_enabled
//      or notifications_enabled), each argument a pure literal
//      (ast.literal_eval);
//   3. executed with no builtins in a namespace holding the site's variables
//      pre-filled with entries of another host, it defines no new name,
//      changes no existing entry, only appends or adds keys (T['A'] gains
//      its rules ahead of the site's), and everything
//      it adds is a literal value (str, int, float, bool, None, list,
//      tuple, dict);
//   4. what it adds is about HOST only: all_hosts gains exactly [HOST],
//      every dict gains only the key HOST, and every custom_checks rule has
//      the condition {'host_name': [HOST]} and a str service_description
//      and command_line (or, passive, a freshness; a disabled host's
//      passive rules may have neither); every rule gained by T['A'] is
//      {'id': 'automon/HOST/disabled/T:A', 'value': '0', 'condition':
//      {'host_name': [HOST]}, 'options': {'description': str}}, at most one
//      per ruleset, ahead of the site's rules, which are kept.
//
// It prints one line per file: "OK\tHOST" or "FAIL\tHOST\tREASON", and
// exits 0 when it could check every file (whatever the verdicts).
#ifndef AUTOMON_BACKENDS_CHECKMK_SANDBOX_H_
#define AUTOMON_BACKENDS_CHECKMK_SANDBOX_H_

#include <string_view>

namespace automon::backends {

std::string_view CheckmkSandboxSource();

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_CHECKMK_SANDBOX_H_
