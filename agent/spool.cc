// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/spool.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <sstream>

#include "common/parse_integer.h"

namespace automon::agent {
namespace {

bool Newer(const formats::PassiveResult& a, const formats::PassiveResult& b) {
  return a.time != b.time ? a.time > b.time : a.sequence > b.sequence;
}

}  // namespace

std::string SerializeCounts(const SpoolCounts& c, size_t queued) {
  return fmt::format("queued {}\nsent {}\ndropped {}\nrefused {}\nfailures {}\nnext_attempt {}\n",
                     queued, c.sent, c.dropped, c.refused, c.failures, c.next_attempt);
}

SpoolCounts ParseCounts(std::string_view text) {
  SpoolCounts c;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    const size_t space = line.find(' ');
    if (space == std::string::npos) continue;
    const std::string key = line.substr(0, space);
    const std::string value = line.substr(space + 1);
    const auto n = ParseInteger<int64_t>(value, 0, INT64_MAX);
    if (!n) continue;
    if (key == "sent") c.sent = static_cast<uint64_t>(*n);
    if (key == "dropped") c.dropped = static_cast<uint64_t>(*n);
    if (key == "refused") c.refused = static_cast<uint64_t>(*n);
    if (key == "failures") c.failures = static_cast<int>(std::min<int64_t>(*n, 1000));
    if (key == "next_attempt") c.next_attempt = *n;
  }
  return c;
}

Result<Spool> Spool::Parse(std::string_view document) {
  Spool spool;
  if (document.empty()) return spool;
  auto batch = formats::ParseResults(document);
  if (!batch) return batch.error();
  spool.Add(batch->results);
  spool.dropped_ = 0;  // collapsing what was on disk is not news
  return spool;
}

void Spool::Add(const std::vector<formats::PassiveResult>& results) {
  for (const formats::PassiveResult& r : results) {
    auto [it, inserted] = by_service_.emplace(r.service, r);
    if (inserted) continue;
    ++dropped_;
    if (Newer(r, it->second)) it->second = r;
  }
}

void Spool::Expire(int64_t now, const std::map<std::string, int64_t>& freshness,
                   int64_t default_freshness, const SpoolLimits& limits) {
  for (auto it = by_service_.begin(); it != by_service_.end();) {
    const auto f = freshness.find(it->first);
    const int64_t fresh = f != freshness.end() ? f->second : default_freshness;
    const int64_t age = now - it->second.time;
    if (age > fresh || age > limits.max_age) {
      ++dropped_;
      it = by_service_.erase(it);
    } else {
      ++it;
    }
  }
  // The byte bound (and the document's count bound): drop the oldest
  // until the spool fits.
  const size_t empty = formats::SerializeResults({"h", {}}).size();
  size_t total = empty;
  for (const auto& [name, r] : by_service_) {
    const size_t bytes = formats::SerializeResults({"h", {r}}).size() - empty;
    total += bytes;
  }
  if (total <= limits.max_bytes && by_service_.size() <= formats::kMaxResultsPerBatch) return;
  for (const formats::PassiveResult& r : Results()) {
    if (total <= limits.max_bytes && by_service_.size() <= formats::kMaxResultsPerBatch) break;
    total -= formats::SerializeResults({"h", {r}}).size() - empty;
    by_service_.erase(r.service);
    ++dropped_;
  }
}

void Spool::Remove(const std::vector<uint64_t>& sequences) {
  const std::set<uint64_t> gone(sequences.begin(), sequences.end());
  for (auto it = by_service_.begin(); it != by_service_.end();) {
    if (gone.count(it->second.sequence)) {
      it = by_service_.erase(it);
    } else {
      ++it;
    }
  }
}

std::vector<formats::PassiveResult> Spool::Results() const {
  std::vector<formats::PassiveResult> out;
  for (const auto& [name, r] : by_service_) out.push_back(r);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return Newer(b, a); });
  return out;
}

std::string Spool::Serialize(const std::string& host) const {
  return formats::SerializeResults({host, Results()});
}

std::string InboxDirectory(const std::string& state_dir) { return state_dir + "/passive/inbox"; }

Result<void> WriteInbox(FileSystem& fs, const std::string& state_dir, const std::string& name,
                        const formats::ResultBatch& batch) {
  const std::string dir = InboxDirectory(state_dir);
  if (auto made = fs.MakeDirectories(dir, 0700); !made) return made;
  return fs.WriteFileAtomic(dir + "/" + name, formats::SerializeResults(batch), 0600);
}

std::string FreshnessPath(const std::string& state_dir) { return state_dir + "/passive/freshness"; }

std::string SerializeFreshness(const std::map<std::string, int64_t>& freshness) {
  std::string out;
  for (const auto& [name, seconds] : freshness) out += fmt::format("{}\t{}\n", name, seconds);
  return out;
}

std::map<std::string, int64_t> ParseFreshness(std::string_view text) {
  std::map<std::string, int64_t> out;
  std::istringstream lines{std::string(text)};
  for (std::string line; std::getline(lines, line);) {
    const size_t tab = line.rfind('\t');
    if (tab == std::string::npos) continue;
    if (auto n = ParseInteger<int64_t>(line.substr(tab + 1), 1, INT64_MAX)) {
      out[line.substr(0, tab)] = *n;
    }
  }
  return out;
}

}  // namespace automon::agent
