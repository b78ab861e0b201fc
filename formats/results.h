// SPDX-License-Identifier: GPL-2.0-or-later
// The passive results document: what an agent sends with the SSH command
// `results`, and the registrar's per-item replies. Both are protocols
// between machines; the registrar treats a results document as hostile.
//
// The exact syntax is specified in monitoring-info(5), section RESULTS
// FORMAT. In short, one line per record, fields separated by one TAB, every
// field escaped so that no value can hold a TAB, a line end or any other
// control character (a value can never forge a field or a line):
//
//   automon-results 1 web01.example.org 2
//   12<TAB>1700000000<TAB>0<TAB>backup<TAB>BACKUP OK<TAB>line two\nline three<TAB>files=3
//   13<TAB>1700000001<TAB>3<TAB>automon agent<TAB>alive<TAB><TAB>
//   end 2
//
// A result line is: sequence, time, state, service, output, long output,
// perfdata. The count in the header and on the `end` line must match the
// lines present, so a truncated document is refused, never taken for a
// shorter one. Replies have the same framing:
//
//   automon-replies 1 2
//   12<TAB>accepted<TAB>
//   13<TAB>unknown-service<TAB>no service 'x' is registered for this host
//   end 2
//
// Escapes: `\\` backslash, `\t` TAB, `\n` LF, `\r` CR, `\xHH` any other byte
// below 0x20 or 0x7f (two lower-case hex digits). Every other byte stands
// for itself; the serialisers always produce this canonical form.
#ifndef AUTOMON_FORMATS_RESULTS_H_
#define AUTOMON_FORMATS_RESULTS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace automon::formats {

inline constexpr int kResultsFormat = 1;
// The service every daemon-run agent feeds to say it is alive.
inline constexpr std::string_view kHeartbeatService = "automon agent";

struct PassiveResult {
  std::string service;      // the service's section name, or "automon agent"
  int state = 3;            // 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN
  std::string output;       // first line of the plugin output
  std::string long_output;  // the following lines, joined by '\n'
  std::string perfdata;     // after '|' (first line and long output joined)
  int64_t time = 0;         // Unix seconds when the check ended
  uint64_t sequence = 0;    // grows per host; the registrar answers by it
  bool operator==(const PassiveResult&) const = default;
};

struct ResultBatch {
  std::string host;  // the host's name as in its snapshot
  std::vector<PassiveResult> results;
  bool operator==(const ResultBatch&) const = default;
};

inline constexpr size_t kMaxResultsPerBatch = 1000;
inline constexpr size_t kMaxResultBytes = 64 << 10;  // output+long+perf
inline constexpr size_t kMaxResultsDocumentBytes = 8 << 20;

// The wire document. Deterministic: the same batch always gives the same
// bytes. The caller keeps the limits above (ParseResults refuses a batch
// that does not); values may hold any bytes.
std::string SerializeResults(const ResultBatch& batch);

// Parses a results document. Refuses it as a whole (the error says why,
// with the line number) when it is over kMaxResultsDocumentBytes, has more
// than kMaxResultsPerBatch results, a result over kMaxResultBytes, a
// malformed line or escape, a state outside 0..3, a negative time, a host
// name that is not one, a service name that is neither a valid section
// name nor kHeartbeatService, or counts that do not match. Linear in the
// document's size.
Result<ResultBatch> ParseResults(std::string_view document);

enum class ResultStatus {
  kAccepted,        // handed to the core
  kUnknownService,  // no such service registered for this host
  kNotPassive,      // the service is registered, but checked actively
  kStale,           // older than a result already accepted for the service
  kFuture,          // time more than 60 s ahead of the registrar's clock
  kRefusedByCore,   // the core's writer failed for good
  kQueued,          // the core is down; kept in a bounded queue and retried
  kMalformed,       // the document or the item is not valid
};

// "accepted", "unknown-service", "not-passive", "stale", "future",
// "refused-by-core", "queued", "malformed".
std::string_view ResultStatusName(ResultStatus status);

struct ResultReply {
  uint64_t sequence = 0;
  ResultStatus status = ResultStatus::kMalformed;
  std::string detail;  // a sentence for a person; empty when accepted
  bool operator==(const ResultReply&) const = default;
};

// Deterministic, like SerializeResults.
std::string SerializeReplies(const std::vector<ResultReply>& replies);
// The agent's side: refuses a malformed reply document as a whole.
Result<std::vector<ResultReply>> ParseReplies(std::string_view document);

// Plugin-style output → output, long_output, perfdata, by the Nagios rules:
// the first line is the output, up to a '|' after which its perfdata
// follows; the following lines are the long output up to the first '|' in
// them, after which everything is perfdata (its lines joined by spaces);
// the first line's and the long output's perfdata are joined by a space.
// CR before LF is dropped and surrounding blanks are trimmed. Sets only
// those three fields of `into`.
void SplitPluginOutput(std::string_view text, PassiveResult& into);

// `text` in the document's escaped form (exposed for the tests and for
// tools that build documents by hand).
std::string EscapeResultField(std::string_view text);

}  // namespace automon::formats

#endif  // AUTOMON_FORMATS_RESULTS_H_
