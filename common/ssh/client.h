// SPDX-License-Identifier: GPL-2.0-or-later
// Running one command on a remote SSH server with libssh, the way the
// agent talks to a registrar: no ~/.ssh/config or known_hosts are read, the
// server's key is judged by the caller before we authenticate, and every
// step is bounded by one deadline.
#ifndef AUTOMON_COMMON_SSH_CLIENT_H_
#define AUTOMON_COMMON_SSH_CLIENT_H_

#include <chrono>
#include <functional>
#include <string>

#include "common/result.h"
#include "common/ssh/key.h"

namespace automon::ssh {

struct RemoteCommand {
  std::string host;
  int port = 22;
  std::string user = "automon";
  std::string command;                       // the exec request, e.g. "register"
  std::string input;                         // sent as stdin, then EOF
  std::chrono::milliseconds timeout{30000};  // for the whole exchange
};

struct RemoteResult {
  int exit_status = -1;  // -1: the server sent none
  std::string out;
  std::string err;
  std::string server_fingerprint;
};

// Called with the server's host-key fingerprint (SHA256:...) after the key
// exchange and before authentication; an error refuses the server and is
// returned as is.
using HostKeyCheck = std::function<Result<void>(const std::string& fingerprint)>;

// Connects, checks the host key, authenticates with `key`, runs the
// command, and collects its output and exit status. Errors name the
// server and the step that failed.
Result<RemoteResult> RunRemote(const RemoteCommand& command, const Key& key,
                               const HostKeyCheck& check_host_key);

}  // namespace automon::ssh

#endif  // AUTOMON_COMMON_SSH_CLIENT_H_
