// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/token_state.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <cerrno>
#include <limits>
#include <thread>

#include "common/parse_integer.h"
#include "common/text.h"
#include "probes/lib/check_result.h"

namespace automon::mailflow {
namespace {

constexpr size_t kMaxStateBytes = 1 << 20;

std::optional<int64_t> ParseSeconds(std::string_view text) {
  const Result<int64_t> value = ParseInteger<int64_t>(text, 0, std::numeric_limits<int64_t>::max());
  if (!value) return std::nullopt;
  return *value;
}

}  // namespace

bool ValidToken(std::string_view token) {
  return token.size() == 32 &&
         token.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

Result<TokenState> ParseTokenState(std::string_view text, std::string_view path) {
  TokenState state;
  int number = 0;
  while (!text.empty()) {
    ++number;
    size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (line.empty() || line.front() == '#') continue;
    auto bad = [&](std::string_view reason) {
      return Error{fmt::format("{}:{}: {}: '{}'", path, number, reason,
                               probe::SanitizeLine(line.substr(0, 200)))};
    };
    std::vector<std::string_view> fields = SplitWords(line, " ");
    if (fields.empty()) continue;
    if (fields[0] == "last_sent" || fields[0] == "last_received") {
      if (fields.size() != 2) return bad("expected 'KEY SECONDS'");
      std::optional<int64_t> seconds = ParseSeconds(fields[1]);
      if (!seconds) return bad("invalid time");
      (fields[0] == "last_sent" ? state.last_sent : state.last_received) = *seconds;
    } else if (fields[0] == "token") {
      if (fields.size() != 3) return bad("expected 'token SECONDS TOKEN'");
      std::optional<int64_t> seconds = ParseSeconds(fields[1]);
      if (!seconds) return bad("invalid time");
      if (!ValidToken(fields[2])) return bad("invalid token");
      state.outstanding.push_back(Token{std::string(fields[2]), *seconds});
    } else {
      return bad("unknown record");
    }
  }
  return state;
}

std::string SerializeTokenState(const TokenState& state) {
  std::string out =
      "# check_mailflow state (see check_mailflow(1)); written by the probe, do not edit\n";
  if (state.last_sent) out += fmt::format("last_sent {}\n", *state.last_sent);
  if (state.last_received) out += fmt::format("last_received {}\n", *state.last_received);
  for (const Token& token : state.outstanding) {
    out += fmt::format("token {} {}\n", token.sent_at, token.id);
  }
  return out;
}

Result<UniqueFd> StateDirectory::Lock(bool exclusive, bool create, probe::Deadline deadline) {
  if (create) {
    // The registrar scopes flows per host (<mailflow_dir>/<host>/<id>): the
    // host's directory may not exist yet either.
    const size_t slash = dir_.rfind('/');
    if (slash != std::string::npos && slash > 0) {
      const std::string parent = dir_.substr(0, slash);
      if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) {
        return SystemError("mkdir", errno, parent);
      }
    }
    if (::mkdir(dir_.c_str(), 0700) != 0 && errno != EEXIST) {
      return SystemError("mkdir", errno, dir_);
    }
  }
  const std::string path = dir_ + "/lock";
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOFOLLOW | (create ? O_CREAT : 0), 0600));
  if (!fd.valid()) return SystemError("open", errno, path);
  // Non-blocking attempts until the deadline, so a stuck holder gives a
  // clear error instead of a watchdog kill.
  const int operation = (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB;
  for (;;) {
    if (::flock(fd.get(), operation) == 0) return fd;
    if (errno != EWOULDBLOCK && errno != EINTR) return SystemError("flock", errno, path);
    if (deadline.Expired()) {
      return Error{fmt::format("{}: still locked by another check_mailflow run", path)};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

Result<TokenState> StateDirectory::Load() {
  Result<std::string> text = fs_.ReadFile(StatePath(), kMaxStateBytes);
  if (!text) {
    if (text.error().IsNotFound()) return TokenState{};
    return text.error();
  }
  return ParseTokenState(*text, StatePath());
}

Result<TokenState> StateDirectory::Read(probe::Deadline deadline) {
  struct stat info;
  if (::stat(dir_.c_str(), &info) != 0 && errno == ENOENT) return TokenState{};
  // The lock file may not exist yet: a directory created by hand, or a
  // first `send` still running. Without it there is no state to read either.
  std::string lock_path = dir_ + "/lock";
  if (::stat(lock_path.c_str(), &info) != 0 && errno == ENOENT) return Load();
  Result<UniqueFd> lock = Lock(/*exclusive=*/false, /*create=*/false, deadline);
  if (!lock) return lock.error();
  return Load();
}

Result<TokenState> StateDirectory::Update(probe::Deadline deadline,
                                          const std::function<void(TokenState&)>& change) {
  Result<UniqueFd> lock = Lock(/*exclusive=*/true, /*create=*/true, deadline);
  if (!lock) return lock.error();
  Result<TokenState> state = Load();
  if (!state) return state.error();
  change(*state);
  Result<void> written = fs_.WriteFileAtomic(StatePath(), SerializeTokenState(*state), 0600);
  if (!written) return written.error();
  return state;
}

}  // namespace automon::mailflow
