// SPDX-License-Identifier: GPL-2.0-or-later
// `automon-registrar serve`: the registrar's SSH daemon. Loads (or, on the
// first start, creates) the host key <state_dir>/ssh_host_ed25519_key,
// listens, and answers agents through RegistrarService until SIGTERM or
// SIGINT. Enrollment decisions and every connection's outcome are logged.
// Unless told not to, it announces itself over mDNS as `_automon._tcp`
// (common/avahi/announcer.h) with its host key fingerprint and backend in
// the TXT record; without avahi-daemon it warns once and serves anyway.
#ifndef AUTOMON_REGISTRAR_SSH_SERVE_H_
#define AUTOMON_REGISTRAR_SSH_SERVE_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/file_system.h"
#include "common/process_runner.h"
#include "common/result.h"
#include "registrar/config.h"
#include "registrar/disk.h"
#include "registrar/results.h"
#include "registrar/ssh/enrollment.h"
#include "registrar/ssh/server.h"
#include "registrar/ssh/service.h"

namespace automon::registrar::ssh {

// HostActions done by the Registrar itself, as `receive` and `remove`
// (without its tombstone) do them, with the request's bytes as stdin and the reply's as
// stdout/stderr.
class RegistrarActions final : public HostActions {
 public:
  // `log`: where the audit trail of each registration goes (the daemon's
  // log); null: into the reply's stderr.
  RegistrarActions(const Config& config, FileSystem& fs, Disk& disk, ProcessRunner& runner,
                   std::function<std::string()> now,
                   std::function<void(const std::string&)> log = nullptr)
      : config_(config),
        fs_(fs),
        disk_(disk),
        runner_(runner),
        now_(std::move(now)),
        log_(std::move(log)) {}
  Reply Register(const std::string& host, const std::string& snapshot) override;
  Reply Deregister(const std::string& host) override;
  // Through the core's one writer (MakeResultWriter), made at the first
  // results and kept for the daemon's life.
  Reply Results(const std::string& host, const std::string& document) override;
  UniqueFd Arriving() override;

 private:
  const Config& config_;
  FileSystem& fs_;
  Disk& disk_;
  ProcessRunner& runner_;
  std::function<std::string()> now_;
  std::mutex results_mutex_;  // guards the creation of the two below
  std::unique_ptr<ResultWriter> writer_;
  std::unique_ptr<ResultsHandler> results_;
  std::function<void(const std::string&)> log_;
  // When each host's passive results last counted as a contact.
  bool DueForContact(const std::string& host);
  std::mutex contact_mutex_;
  std::map<std::string, std::chrono::steady_clock::time_point> last_contact_;
};

struct ServeDependencies {
  FileSystem& fs;
  Disk& disk;
  ProcessRunner& runner;
  std::function<std::string()> now_iso8601;
  std::function<int64_t()> now_unix;
  std::ostream& log;
  std::string version;  // for hello: "automon-registrar <version>"
};

struct ServeOptions {
  bool announce = true;  // publish _automon._tcp through avahi-daemon
};

// Runs the daemon; returns 0 after a clean stop, 1 when it cannot start.
int Serve(const Config& config, const ServeDependencies& deps, const ServeOptions& options = {});

}  // namespace automon::registrar::ssh

#endif  // AUTOMON_REGISTRAR_SSH_SERVE_H_
