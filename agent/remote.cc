// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/remote.h"

namespace automon::agent {
namespace {

class SshRemote final : public Remote {
 public:
  explicit SshRemote(ssh::Key key) : key_(std::move(key)) {}
  Result<ssh::RemoteResult> Run(const ssh::RemoteCommand& command,
                                const ssh::HostKeyCheck& check_host_key) override {
    return ssh::RunRemote(command, key_, check_host_key);
  }

 private:
  ssh::Key key_;
};

}  // namespace

Result<std::unique_ptr<Remote>> SshRemoteFactory::ForKey(const std::string& key_path) {
  bool created = false;
  auto key = ssh::LoadOrCreate(fs_, key_path, &created);
  if (!key) return key.error();
  return std::unique_ptr<Remote>(std::make_unique<SshRemote>(std::move(*key)));
}

}  // namespace automon::agent
