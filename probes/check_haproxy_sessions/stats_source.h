// SPDX-License-Identifier: GPL-2.0-or-later
// Where check_haproxy_sessions reads the stats CSV from: HAProxy's stats
// page over HTTP(S) (the ";csv" form, optional Basic authentication) or its
// stats UNIX socket ("show stat"). Every failure comes back as a ProbeError
// whose state says what it means for the service: CRITICAL when HAProxy is
// down or refuses (connection refused, no socket, HTTP 401/403, 5xx),
// UNKNOWN when the probe cannot tell (name does not resolve, permission
// denied on the socket, redirect, 404, reply too large), the -t state on a
// timeout. Messages are one line, without "Error: ", and never contain the
// password.
#ifndef AUTOMON_PROBES_CHECK_HAPROXY_SESSIONS_STATS_SOURCE_H_
#define AUTOMON_PROBES_CHECK_HAPROXY_SESSIONS_STATS_SOURCE_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "probes/lib/check_result.h"
#include "probes/lib/deadline.h"
#include "probes/lib/http_client.h"
#include "probes/lib/standard_options.h"
#include "probes/lib/state.h"

namespace automon::haproxy {

// Replies larger than this are refused: a stats CSV is about 1.5 KiB per
// proxy or server, so this allows several thousand.
inline constexpr size_t kMaxStatsBytes = 16 << 20;

struct HttpSource {
  std::string url;       // as given; CsvUrl() makes the request URL
  std::string username;  // "" for no authentication
  std::string password;  // never printed

  bool operator==(const HttpSource&) const = default;
};

struct SocketSource {
  std::string path;

  bool operator==(const SocketSource&) const = default;
};

// The URL of the CSV form of a stats page: `url` unchanged when it already
// holds ";csv", else ";csv" appended (before a "#fragment", which is
// dropped). HAProxy finds its options anywhere after the stats URI, so
// "http://h/stats" and "http://h/haproxy?stats" both work.
std::string CsvUrl(std::string_view url);

// GETs the CSV through `http` (one request, no redirects followed), with
// "Authorization: Basic ..." when source.username is set. The request gets
// the time left on `deadline`.
// `timeout` is the -t option: its state is the state of a timeout, its
// duration is quoted in the message.
probe::Outcome<std::string> FetchStatsHttp(probe::HttpClient& http, const HttpSource& source,
                                           probe::Deadline deadline, const probe::Timeout& timeout);

// Connects to the stats socket at source.path, sends "show stat\n" and
// reads until HAProxy closes the connection. Every step (connect included)
// ends by `deadline`; the socket is closed on every path.
probe::Outcome<std::string> ReadStatsSocket(const SocketSource& source, probe::Deadline deadline,
                                            const probe::Timeout& timeout,
                                            size_t max_bytes = kMaxStatsBytes);

}  // namespace automon::haproxy

#endif  // AUTOMON_PROBES_CHECK_HAPROXY_SESSIONS_STATS_SOURCE_H_
