// SPDX-License-Identifier: GPL-2.0-or-later
// The spool of passive results for one registrar (issue #15): what the
// agent holds while that registrar is away. It keeps only the newest
// result per service (Nagios takes an older result after a newer one and
// raises a false HARD alert, so an old result is never replayed over a
// newer one), drops results older than their service's freshness or than
// the spool's age bound, and keeps within a byte bound by dropping the
// oldest results first. Every drop is counted.
//
// On disk (under state_dir/passive/):
//   spool/<registrar id>    a results document (formats/results.h)
//   counts/<registrar id>   "queued N\nsent N\ndropped N\nrefused N\n
//                            failures N\nnext_attempt T\n"
// A value type plus pure functions; the caller does the I/O.
#ifndef AUTOMON_AGENT_SPOOL_H_
#define AUTOMON_AGENT_SPOOL_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_system.h"
#include "common/result.h"
#include "formats/results.h"

namespace automon::agent {

struct SpoolLimits {
  size_t max_bytes = 1 << 20;  // agent.conf spool_max_bytes
  int64_t max_age = 86400;     // agent.conf spool_max_age, seconds
};

// Counters, kept across runs.
struct SpoolCounts {
  uint64_t sent = 0;         // accepted (or queued) by the registrar
  uint64_t dropped = 0;      // replaced by a newer result, too old, or over the byte bound
  uint64_t refused = 0;      // the registrar answered with an error for the item
  int failures = 0;          // consecutive failed deliveries
  int64_t next_attempt = 0;  // Unix seconds; 0: at once

  bool operator==(const SpoolCounts&) const = default;
};

std::string SerializeCounts(const SpoolCounts& counts, size_t queued);
SpoolCounts ParseCounts(std::string_view text);  // lenient: a bad line is 0

class Spool {
 public:
  Spool() = default;
  // From a results document (the spool file); an unreadable one is an Error.
  static Result<Spool> Parse(std::string_view document);

  // Adds results, keeping the newest per service (by time, then
  // sequence); the others count as dropped.
  void Add(const std::vector<formats::PassiveResult>& results);

  // Drops what is older than its freshness (`freshness` by service name;
  // a service not in it uses `default_freshness`) or than limits.max_age at
  // `now`, then the oldest results until the document fits limits.max_bytes.
  void Expire(int64_t now, const std::map<std::string, int64_t>& freshness,
              int64_t default_freshness, const SpoolLimits& limits);

  // Removes the results with these sequence numbers (answered).
  void Remove(const std::vector<uint64_t>& sequences);

  // The results, oldest first.
  std::vector<formats::PassiveResult> Results() const;
  size_t size() const { return by_service_.size(); }
  uint64_t dropped() const { return dropped_; }
  std::string Serialize(const std::string& host) const;

 private:
  std::map<std::string, formats::PassiveResult> by_service_;
  uint64_t dropped_ = 0;  // by this object's operations
};

// The daemon hands results over through an inbox directory,
// state_dir/passive/inbox/, one results document per file (sequence 0;
// the delivering child numbers them); `name` must be unique (time, pid,
// counter).
std::string InboxDirectory(const std::string& state_dir);
Result<void> WriteInbox(FileSystem& fs, const std::string& state_dir, const std::string& name,
                        const formats::ResultBatch& batch);

// The file with each local check's freshness ("service<TAB>seconds"
// lines), written by whoever knows the definitions, read by the delivering
// child.
std::string FreshnessPath(const std::string& state_dir);
std::string SerializeFreshness(const std::map<std::string, int64_t>& freshness);
std::map<std::string, int64_t> ParseFreshness(std::string_view text);

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_SPOOL_H_
