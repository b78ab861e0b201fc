// SPDX-License-Identifier: GPL-2.0-or-later
// check_haproxy_sessions' pure half: the HAProxy stats CSV parser, the
// probe's configuration, and the evaluation of parsed rows into a
// CheckResult. Nothing here does I/O (stats_source.h reads the CSV over
// HTTP or the stats socket).
//
// Facts about the format: /work/shared/reference/libraries-and-protocols.md
// §5 and HAProxy's management.txt §9.1 ("CSV format"). Columns are found by
// their header names, never by position: the header is the first line,
// "# pxname,svname,qcur,...", and every line ends with a trailing comma.
//
// Everything here is a value type or a pure function; thread-compatible.
#ifndef AUTOMON_PROBES_CHECK_HAPROXY_SESSIONS_HAPROXY_STATS_H_
#define AUTOMON_PROBES_CHECK_HAPROXY_SESSIONS_HAPROXY_STATS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "probes/lib/check_result.h"
#include "probes/lib/range.h"
#include "probes/lib/standard_options.h"

namespace automon::haproxy {

// The stats `type` column: 0 frontend, 1 backend, 2 server, 3 listener.
enum class ProxyKind { kFrontend = 0, kBackend = 1, kServer = 2, kListener = 3 };

// "frontend", "backend", "server", "listener".
std::string_view KindName(ProxyKind kind);

// One data line of the CSV, reduced to what the probe uses.
struct StatsRow {
  std::string pxname;  // proxy name
  std::string svname;  // "FRONTEND", "BACKEND", or a server/listener name
  ProxyKind kind = ProxyKind::kFrontend;
  std::optional<uint64_t> scur;  // current sessions; none when the field is empty
  std::optional<uint64_t> slim;  // configured limit; none when empty (no limit)
  std::string status;            // "OPEN", "UP", "DOWN", "no check", "MAINT", ...
  int line = 0;                  // 1-based line of the row in the CSV text

  // "pxname/svname", the perfdata label and the name used in messages.
  std::string Label() const { return pxname + "/" + svname; }

  bool operator==(const StatsRow&) const = default;
};

// Parses the output of `show stat` (stats socket) or of the `;csv` stats
// page. Accepts the "# " header prefix with or without the space, the
// trailing comma on every line (or its absence, as long as header and rows
// agree), CRLF line ends, blank lines (the socket reply ends with one), and
// RFC 4180 quoting ("a,b", doubled "" inside quotes).
//
// Required columns: pxname, svname, scur, slim, status. `type` is used when
// present; without it the kind follows svname (FRONTEND, BACKEND, else a
// server). Other columns, their order and their count are free.
//
// Errors (one line, for a person): an empty reply, a first line that is not
// a stats header (quoted, e.g. HAProxy's "Permission denied"), a missing
// required column, a row whose field count differs from the header's, an
// unterminated quote, or a number column (scur, slim, type) that is neither
// empty nor a decimal integer. Each names the 1-based line.
Result<std::vector<StatsRow>> ParseStatsCsv(std::string_view text);

// Which kinds of rows --kind selects.
struct KindSet {
  bool frontend = true;
  bool backend = true;
  bool server = false;

  bool Contains(ProxyKind kind) const;
  // "frontend,backend" (in that fixed order).
  std::string ToString() const;

  bool operator==(const KindSet&) const = default;
};

// Parses a comma-separated list of "frontend", "backend", "server" (case
// matters, repeats allowed). Errors name the rejected word.
Result<KindSet> ParseKinds(std::string_view text);

// A -w or -c threshold: a monitoring-plugins range on the session count,
// or, with a trailing '%', on the percentage of the row's slim ("80%",
// "@10:20%", "~:90%").
struct SessionThreshold {
  probe::Range range;  // range.text is the text without the '%'
  bool percent = false;

  // The range the threshold means for a row with limit `slim`: itself when
  // absolute; scaled by slim/100 when a percentage (so perfdata can carry
  // it in sessions). Requires slim > 0 when percent.
  probe::Range ForLimit(uint64_t slim) const;

  bool operator==(const SessionThreshold&) const = default;
};

// Parses "RANGE" or "RANGE%". `option` ("-w", "-c") names the option in
// errors: "invalid -w range '8x': ...".
Result<SessionThreshold> ParseSessionThreshold(std::string_view text, std::string_view option);

// What is checked, independent of where the CSV comes from.
struct Selection {
  std::vector<std::string> proxy_patterns;  // fnmatch(3) globs; empty = all
  KindSet kinds;
  std::optional<SessionThreshold> warning;
  std::optional<SessionThreshold> critical;
  bool down_critical = false;
  int verbosity = 0;

  bool operator==(const Selection&) const = default;
};

// True when `pattern` selects `row`. A pattern with a '/' is matched against
// "pxname/svname" (to pick single servers), any other against pxname.
// fnmatch(3) without flags: '*' and '?' also match '/'.
bool Matches(std::string_view pattern, const StatsRow& row);

// The check itself. Rows whose kind is selected and which match a pattern
// (any row when there are none) are evaluated one by one:
//  - the thresholds apply to scur, or to 100*scur/slim for a percent
//    threshold; a row without a limit (slim empty or 0) under a percent
//    threshold is UNKNOWN, as is a row without scur;
//  - with down_critical, a row whose status is DOWN (or "DOWN n/m", a
//    server on its way back up) is CRITICAL;
//  - the worst state wins (OK < WARNING < UNKNOWN < CRITICAL).
// Output: summary "HAPROXY SESSIONS STATE - ...", one perfdata item per row
// ('pxname/svname'=scur;w;c;0;slim, percent thresholds converted to
// sessions), one long-output line per row.
//
// A pattern that matches no row of the selected kinds, or no row selected
// at all, is the UNKNOWN error "Error: no ... matches ..." naming what the
// stats do list.
probe::CheckResult Evaluate(const Selection& selection, const std::vector<StatsRow>& rows);

}  // namespace automon::haproxy

#endif  // AUTOMON_PROBES_CHECK_HAPROXY_SESSIONS_HAPROXY_STATS_H_
