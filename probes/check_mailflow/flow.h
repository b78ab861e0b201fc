// SPDX-License-Identifier: GPL-2.0-or-later
// The three modes end to end, over injected collaborators: the mail
// session (MailSender / Mailbox), the flow's StateDirectory, the token and
// the time. main() builds the real ones; tests pass fakes.
#ifndef AUTOMON_PROBES_CHECK_MAILFLOW_FLOW_H_
#define AUTOMON_PROBES_CHECK_MAILFLOW_FLOW_H_

#include <cstdint>
#include <functional>
#include <string>

#include "probes/check_mailflow/mail_client.h"
#include "probes/check_mailflow/mailflow.h"
#include "probes/check_mailflow/token_state.h"
#include "probes/lib/check_result.h"
#include "probes/lib/deadline.h"

namespace automon::mailflow {

// Unix seconds now (a seam for tests).
using WallClock = std::function<int64_t()>;
// Seconds on a monotonic clock, for durations (a seam for tests).
using StopWatch = std::function<double()>;

// `send`: records `token` as outstanding first (so a fast `receive` can never
// meet a token mail it does not know), then sends the token mail. If the
// sending fails the token is removed again and the error is the result.
// State errors are UNKNOWN.
probe::CheckResult RunSend(const Config& config, const std::string& token, MailSender& sender,
                           StateDirectory& state, const WallClock& now, const StopWatch& watch,
                           probe::Deadline deadline);

// `receive`: finds this flow's token mails, removes their tokens from the
// state, then deletes the mails (in this order, so a failed deletion leaves
// mails the next run deletes, never a token that stays outstanding for
// ever). Mails with tokens the state does not know (left by an earlier
// state) are deleted too.
probe::CheckResult RunReceive(const Config& config, Mailbox& mailbox, StateDirectory& state,
                              const WallClock& now, const StopWatch& watch,
                              probe::Deadline deadline);

// `age`: reads the state and evaluates it (EvaluateAge).
probe::CheckResult RunAge(const Config& config, StateDirectory& state, const WallClock& now,
                          probe::Deadline deadline);

// The most messages one `receive` examines (POP3 lists all messages; IMAP
// searches). The newest are examined first; the rest wait for later runs.
inline constexpr size_t kMaxExamined = 500;

}  // namespace automon::mailflow

#endif  // AUTOMON_PROBES_CHECK_MAILFLOW_FLOW_H_
