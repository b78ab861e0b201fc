// SPDX-License-Identifier: GPL-2.0-or-later
// Passive results (issue #15): what the registrar does with the document
// of the SSH command `results` (formats/results.h), and the interface of
// the one serialised writer per monitoring core (result_writers.h).
//
// The checks, in order, for every result of a host's batch: the batch is
// the key's own host's; the service is registered for that host and
// checked passively (or is the heartbeat, when the host's snapshot has
// one); its time is at most kMaxFutureSeconds ahead; it is newer than the
// last result accepted for the service (an older one would raise a false
// alert in Nagios). Then the text is made safe for the core (CoreText) and
// the writer takes it.
#ifndef AUTOMON_REGISTRAR_RESULTS_H_
#define AUTOMON_REGISTRAR_RESULTS_H_

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backends/plan.h"
#include "common/result.h"
#include "formats/results.h"
#include "formats/snapshot.h"

namespace automon::registrar {

// Results more than this far in the future are refused (as NSCA does).
inline constexpr int64_t kMaxFutureSeconds = 60;

// One result as the core takes it; text fields already made safe
// (CoreText).
struct CoreResult {
  std::string host;
  std::string service;      // the engine's object name: the section name
  std::string description;  // the service as Nagios and Checkmk name it
  int state = 3;
  std::string output;       // first line, no LF
  std::string long_output;  // lines joined by LF
  std::string perfdata;
  int64_t time = 0;

  bool operator==(const CoreResult&) const = default;
};

// `text` without CR and NUL, at most `max_bytes` (cut at a UTF-8 boundary).
// The writers encode '\' and LF the way their core reads them.
std::string CoreText(std::string_view text, size_t max_bytes = formats::kMaxResultBytes);

// Nagios' and livestatus' text of a result: "output|perfdata" and the long
// output after an escaped newline, with '\' → "\\" and LF → "\n" (the core
// unescapes both; passive-icinga2-prometheus.md §1.3): one line, always.
std::string NagiosPluginText(const CoreResult& result);
// "[time] PROCESS_SERVICE_CHECK_RESULT;host;description;state;text\n".
std::string NagiosCommandLine(const CoreResult& result);

struct WriteOutcome {
  formats::ResultStatus status = formats::ResultStatus::kAccepted;  // kAccepted,
                                                                    // kQueued or kRefusedByCore
  std::string detail;
};

// The one writer of a monitoring core. Thread safe: connections hand it
// results concurrently and it writes them one batch at a time, so no two
// writes interleave (a FIFO is atomic only up to PIPE_BUF).
class ResultWriter {
 public:
  virtual ~ResultWriter() = default;
  // One outcome per result, in order.
  virtual std::vector<WriteOutcome> Write(const std::vector<CoreResult>& results) = 0;
};

// Where the registrar finds a host's registration.
using SnapshotLoader =
    std::function<Result<std::optional<formats::Snapshot>>(const std::string& host)>;

struct ResultsReply {
  int status = 0;      // 0 all accepted or queued, 1 some refused, 2 the batch refused
  std::string output;  // formats::SerializeReplies, for the agent
  std::string log;     // one line for the registrar's log
};

// Handles `results` for the key's `host`. Keeps, per host and service, the
// time of the last accepted result, so that an older one is refused as
// stale (the agent collapses its spool to the newest per service; this
// guards against replays and out-of-order registrars' queues).
class ResultsHandler {
 public:
  ResultsHandler(SnapshotLoader load, ResultWriter& writer, std::function<int64_t()> now_unix)
      : load_(std::move(load)), writer_(writer), now_unix_(std::move(now_unix)) {}

  ResultsReply Handle(const std::string& host, std::string_view document);

 private:
  SnapshotLoader load_;
  ResultWriter& writer_;
  std::function<int64_t()> now_unix_;
  std::mutex mutex_;  // guards last_
  std::map<std::pair<std::string, std::string>, std::pair<int64_t, uint64_t>> last_;
};

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_RESULTS_H_
