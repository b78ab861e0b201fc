// SPDX-License-Identifier: GPL-2.0-or-later
// Remote: how the agent runs a command on a registrar, behind an interface
// so that the commands are testable without a network.
#ifndef AUTOMON_AGENT_REMOTE_H_
#define AUTOMON_AGENT_REMOTE_H_

#include <memory>
#include <string>

#include "common/file_system.h"
#include "common/result.h"
#include "common/ssh/client.h"

namespace automon::agent {

class Remote {
 public:
  virtual ~Remote() = default;
  virtual Result<ssh::RemoteResult> Run(const ssh::RemoteCommand& command,
                                        const ssh::HostKeyCheck& check_host_key) = 0;
};

// Makes a Remote that authenticates with the agent's key at `key_path`
// (created on first use).
class RemoteFactory {
 public:
  virtual ~RemoteFactory() = default;
  virtual Result<std::unique_ptr<Remote>> ForKey(const std::string& key_path) = 0;
};

// The real one: libssh with an ed25519 key file.
class SshRemoteFactory final : public RemoteFactory {
 public:
  explicit SshRemoteFactory(FileSystem& fs) : fs_(fs) {}
  Result<std::unique_ptr<Remote>> ForKey(const std::string& key_path) override;

 private:
  FileSystem& fs_;
};

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_REMOTE_H_
