// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/ssh/client.h"

#include <fmt/format.h>
#include <libssh/libssh.h>

#include <algorithm>
#include <memory>
#include <optional>

namespace automon::ssh {
namespace {

using Clock = std::chrono::steady_clock;

struct SessionCloser {
  void operator()(ssh_session s) const noexcept {
    if (ssh_is_connected(s)) ssh_disconnect(s);
    ssh_free(s);
  }
};
using Session = std::unique_ptr<ssh_session_struct, SessionCloser>;

struct ChannelCloser {
  void operator()(ssh_channel c) const noexcept {
    if (ssh_channel_is_open(c)) ssh_channel_close(c);
    ssh_channel_free(c);
  }
};
using Channel = std::unique_ptr<ssh_channel_struct, ChannelCloser>;

}  // namespace

Result<RemoteResult> RunRemote(const RemoteCommand& command, const Key& key,
                               const HostKeyCheck& check_host_key) {
  const std::string where = fmt::format("{}:{}", command.host, command.port);
  const auto deadline = Clock::now() + command.timeout;
  Session session(ssh_new());
  if (!session) return Error{"ssh_new: out of memory"};
  ssh_session s = session.get();
  auto fail = [&](std::string_view step) {
    return Error{fmt::format("{} {}: {}", step, where, ssh_get_error(s))};
  };

  bool process_config = false;
  // Small SSH packets must not wait for delayed ACKs (Nagle): 40 ms each.
  int nodelay = 1;
  int port = command.port;
  long seconds = static_cast<long>(
      std::max<long>(1, std::chrono::ceil<std::chrono::seconds>(command.timeout).count()));
  if (ssh_options_set(s, SSH_OPTIONS_PROCESS_CONFIG, &process_config) != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_HOST, command.host.c_str()) != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_PORT, &port) != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_USER, command.user.c_str()) != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &seconds) != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, "/dev/null") != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, "/dev/null") != SSH_OK ||
      ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay) != SSH_OK) {
    return fail("ssh_options_set for");
  }
  if (ssh_connect(s) != SSH_OK) return fail("cannot connect to");

  RemoteResult result;
  {
    ssh_key server_key = nullptr;
    if (ssh_get_server_publickey(s, &server_key) != SSH_OK) return fail("no host key from");
    Key owned(server_key);
    auto fingerprint = Fingerprint(owned);
    if (!fingerprint) return fingerprint.error();
    result.server_fingerprint = *fingerprint;
  }
  if (auto checked = check_host_key(result.server_fingerprint); !checked) return checked.error();

  if (ssh_userauth_publickey(s, nullptr, key.get()) != SSH_AUTH_SUCCESS) {
    return Error{fmt::format("{} refused our key: {}", where, ssh_get_error(s))};
  }
  Channel channel(ssh_channel_new(s));
  if (!channel || ssh_channel_open_session(channel.get()) != SSH_OK) {
    return fail("cannot open a channel to");
  }
  ssh_channel c = channel.get();
  if (ssh_channel_request_exec(c, command.command.c_str()) != SSH_OK) {
    return Error{
        fmt::format("{} refused the command '{}': {}", where, command.command, ssh_get_error(s))};
  }
  size_t sent = 0;
  // A server may answer without reading all of the input (a refusal at
  // once) and close the channel: its answer, if there is one, counts
  // rather than the failed write.
  std::optional<Error> send_failure;
  while (sent < command.input.size()) {
    const auto chunk = static_cast<uint32_t>(std::min<size_t>(command.input.size() - sent, 32768));
    const int n = ssh_channel_write(c, command.input.data() + sent, chunk);
    if (n <= 0) {
      send_failure = fail("sending the input to");
      break;
    }
    sent += static_cast<size_t>(n);
  }
  if (!send_failure && ssh_channel_send_eof(c) != SSH_OK) {
    return fail("sending the end of input to");
  }

  // Read both streams in turn: is_eof stays false while either has
  // unread data (reference §2.2).
  char buffer[16384];
  while (!ssh_channel_is_eof(c)) {
    if (Clock::now() >= deadline) return Error{fmt::format("{} did not answer in time", where)};
    // Wait on standard output only; standard error is drained without
    // waiting, so that a reply with nothing on it costs no timeout.
    bool closed = false;
    for (int is_stderr = 0; is_stderr < 2 && !closed; ++is_stderr) {
      const int n = is_stderr != 0
                        ? ssh_channel_read_nonblocking(c, buffer, sizeof buffer, is_stderr)
                        : ssh_channel_read_timeout(c, buffer, sizeof buffer, is_stderr, 100);
      if (n == SSH_ERROR) {
        if (!send_failure) return fail("reading the reply of");
        closed = true;  // all that was buffered has been read
      }
      if (n > 0) (is_stderr ? result.err : result.out).append(buffer, static_cast<size_t>(n));
    }
    if (closed || !ssh_channel_is_open(c)) break;
  }
  result.exit_status = ssh_channel_get_exit_status(c);
  if (send_failure && result.exit_status < 0 && result.out.empty() && result.err.empty()) {
    return *send_failure;
  }
  return result;
}

}  // namespace automon::ssh
