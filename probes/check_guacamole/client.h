// SPDX-License-Identifier: GPL-2.0-or-later
// GuacamoleClient: the REST flow of one check_guacamole run, over an
// injected HttpClient (reference: guacamole-rest-api.md §1, §4 "Probe
// behaviour"):
//
//   1. POST {base}/api/tokens with form fields username and password.
//   2. GET {base}/api/session/data/{ds}/activeConnections with the token in
//      the Guacamole-Token header (Guacamole >= 1.4). On 403
//      PERMISSION_DENIED the same request is repeated with the token also
//      in ?token= (Guacamole 1.0-1.3 read only that); if that works, the
//      rest of the run sends both. If the token is still refused it is dead
//      (expired or revoked): log in again, once per run, and retry.
//   3. --format prometheus only: .../users and .../history/connections.
//   4. DELETE {base}/api/tokens/{token} for every token obtained, on success
//      and on every error path.
//
// The exporter (check_guacamole --serve) keeps one client per Guacamole
// and calls Scrape() instead: the token is kept across scrapes, a login
// happens only when there is none or Guacamole answers PERMISSION_DENIED
// (expired or revoked), and Logout() releases it at exit.
//
// Logins are never retried after INVALID_CREDENTIALS (Guacamole 1.6 bans an
// address after 5 failures) nor after INSUFFICIENT_CREDENTIALS or 429.
// Every failure is a ProbeError with its state and one actionable line.
// Server-supplied text in messages is sanitised, truncated and has the
// password redacted.
//
// Not thread-safe; one object per run (Measure) or per exporter target
// (Scrape).
#ifndef AUTOMON_PROBES_CHECK_GUACAMOLE_CLIENT_H_
#define AUTOMON_PROBES_CHECK_GUACAMOLE_CLIENT_H_

#include <chrono>
#include <string>
#include <vector>

#include "probes/check_guacamole/guacamole.h"
#include "probes/lib/check_result.h"
#include "probes/lib/deadline.h"
#include "probes/lib/http_client.h"

namespace automon::guacamole {

// How a run spends its -t budget: log in and query until `work`, then
// release tokens until `release`, so a hanging query still leaves time to
// log out before the Watchdog ends the process.
struct TimeBudget {
  probe::Deadline work;
  probe::Deadline release;
};

// Reserves a fifth of `total` (at least 200 ms, at most 2 s) for releasing
// tokens.
TimeBudget BudgetFor(std::chrono::milliseconds total);

class GuacamoleClient {
 public:
  // `http` and `config` must outlive the client.
  GuacamoleClient(probe::HttpClient& http, const Config& config)
      : http_(http), config_(config), base_(BaseUrl(config)) {}

  probe::Outcome<Measurement> Measure(const TimeBudget& budget);

  // One exporter scrape with the kept token: the active connections, and
  // with `totals` also users and history (a failure of those counts in
  // Measurement::failed_queries). The token stays alive afterwards.
  probe::Outcome<Measurement> Scrape(const probe::Deadline& deadline, bool totals);
  // Releases the kept token, if any; a note when that failed.
  std::optional<std::string> Logout(const probe::Deadline& deadline);
  // True when the last login attempt was refused for its credentials
  // (INVALID_CREDENTIALS, INSUFFICIENT_CREDENTIALS, an account refused
  // with 400, or 429 banned): retrying sooner than the ban window feeds
  // Guacamole's ban.
  bool credentials_refused() const { return credentials_refused_; }
  bool has_token() const { return !token_.empty(); }
  // POST /api/tokens requests sent so far.
  int logins() const { return logins_; }

 private:
  struct Reply {
    probe::HttpResponse response;
    std::string url;  // without the token, for messages
  };

  probe::Outcome<Measurement> Run(const probe::Deadline& deadline, bool totals);
  probe::Outcome<LoginReply> Login(const probe::Deadline& deadline);
  // GET {base}/api/session/data/{ds}/{what} with the token handling above;
  // a 200 reply, or the error for anything else.
  probe::Outcome<Reply> GetSession(const std::string& path, std::string_view phase,
                                   const probe::Deadline& deadline);
  probe::Outcome<Reply> Send(probe::HttpRequest request, std::string_view display_url,
                             std::string_view phase, const probe::Deadline& deadline);
  // Returns a note when the token could not be released.
  std::optional<std::string> Release(const std::string& token, const probe::Deadline& deadline);

  probe::ProbeError TransportFailure(const probe::TransportError& error, std::string_view url,
                                     std::string_view phase) const;
  probe::ProbeError UnexpectedReply(const Reply& reply, std::string_view phase) const;
  std::string Quote(std::string_view server_text) const;

  probe::HttpClient& http_;
  const Config& config_;
  const std::string base_;
  std::string token_;
  std::vector<std::string> tokens_;  // every token obtained, to release
  LoginReply login_;
  bool token_in_query_ = false;
  bool legacy_server_ = false;
  bool relogged_in_ = false;
  bool header_confirmed_ = false;  // a reply came with the token in the header only
  bool credentials_refused_ = false;
  int logins_ = 0;
};

}  // namespace automon::guacamole

#endif  // AUTOMON_PROBES_CHECK_GUACAMOLE_CLIENT_H_
