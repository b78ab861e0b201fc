// SPDX-License-Identifier: GPL-2.0-or-later
// The state one mail flow keeps between check runs: the tokens sent and not
// yet received, and when the flow last sent and received.
//
// The three modes of check_mailflow share it through a StateDirectory (one
// directory per mailflowid): `send` adds a token, `receive` removes the
// tokens it collected, `age` reads it.
//
// File format (text, one record per line, '#' lines are comments):
//   last_sent SECONDS
//   last_received SECONDS
//   token SECONDS TOKEN
// SECONDS is a Unix time (UTC); TOKEN is [0-9a-f]{32}. Tokens are kept in
// the order they were added.
#ifndef AUTOMON_PROBES_CHECK_MAILFLOW_TOKEN_STATE_H_
#define AUTOMON_PROBES_CHECK_MAILFLOW_TOKEN_STATE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_system.h"
#include "common/result.h"
#include "common/unique_fd.h"
#include "probes/lib/deadline.h"

namespace automon::mailflow {

struct Token {
  std::string id;       // 32 lower-case hex digits
  int64_t sent_at = 0;  // Unix seconds

  bool operator==(const Token&) const = default;
};

struct TokenState {
  std::vector<Token> outstanding;
  std::optional<int64_t> last_sent;
  std::optional<int64_t> last_received;

  bool operator==(const TokenState&) const = default;
};

// The most tokens a state keeps. Beyond it `send` still sends, but records
// no more tokens (the oldest outstanding one already makes `age` CRITICAL);
// so a flow that stays broken for weeks cannot grow its file without bound.
inline constexpr size_t kMaxTokens = 1000;

// True for a well-formed token: 32 lower-case hex digits.
bool ValidToken(std::string_view token);

// Parses the file text. Errors read "PATH:LINE: REASON" and quote the line.
Result<TokenState> ParseTokenState(std::string_view text, std::string_view path);

// The file text; ParseTokenState(SerializeTokenState(s)) == s.
std::string SerializeTokenState(const TokenState& state);

// One mail flow's state directory: DIR/state (the TokenState, replaced
// atomically by FileSystem::WriteFileAtomic) and DIR/lock (an flock(2)
// lock file, never replaced, so every process locks the same inode).
//
// Every read-modify-write holds the exclusive lock; readers hold it shared.
// So concurrent `send` and `receive` runs (Nagios may start them at the same
// second) never lose each other's update, and a crash at any instant leaves
// the old or the new state, never a torn one.
//
// Not thread-safe itself; several StateDirectory objects (in threads or
// processes) on the same directory are safe.
class StateDirectory {
 public:
  // `fs` must outlive this object. Nothing is touched on disk yet.
  StateDirectory(std::string dir, FileSystem& fs) : dir_(std::move(dir)), fs_(fs) {}

  const std::string& dir() const { return dir_; }

  // Reads the state under a shared lock. A directory or state file that
  // does not exist yet reads as an empty state (nothing is created).
  // Errors: the lock not obtained before `deadline`, unreadable or corrupt
  // state file (the message names the path).
  Result<TokenState> Read(probe::Deadline deadline);

  // Creates the directory if needed (mode 0700, its parent must exist),
  // takes the exclusive lock (waiting until `deadline` at most), reads the
  // state, calls `change` on it, and writes the result back atomically
  // (mode 0600). Returns the state written.
  Result<TokenState> Update(probe::Deadline deadline,
                            const std::function<void(TokenState&)>& change);

 private:
  Result<UniqueFd> Lock(bool exclusive, bool create, probe::Deadline deadline);
  Result<TokenState> Load();
  std::string StatePath() const { return dir_ + "/state"; }

  std::string dir_;
  FileSystem& fs_;
};

}  // namespace automon::mailflow

#endif  // AUTOMON_PROBES_CHECK_MAILFLOW_TOKEN_STATE_H_
