// SPDX-License-Identifier: GPL-2.0-or-later
// RegistrarService: what the SSH commands mean (DESIGN.md §5).
//
//   hello              who the registrar is and whether the key is enrolled
//   enroll NAME        ask to bind the key to NAME; stdin may hold a ticket
//   register           stdin is a snapshot for the host the key is enrolled as
//   deregister         remove the host the key is enrolled as
//   results            stdin is a batch of passive results of that host
//
// A key only ever changes its own host: the host of `register` and
// `deregister` comes from the enrollment, never from the client (a
// `--host NAME` argument, as OpenSSH forced commands pass it, must name
// that same host).
#ifndef AUTOMON_REGISTRAR_SSH_SERVICE_H_
#define AUTOMON_REGISTRAR_SSH_SERVICE_H_

#include <string>

#include "registrar/ssh/enrollment.h"
#include "registrar/ssh/server.h"

namespace automon::registrar::ssh {

// The input of every command but `register`: a ticket at most.
inline constexpr size_t kMaxSmallInput = 1024;

// What registering and removing a host does; the Registrar implements it.
// Called from several connection threads at once: implementations must be
// thread safe. (The Registrar's store serialises with flock(2) on its lock
// file, which excludes threads as well as processes, and lets
// registrations that arrive together be activated together.)
class HostActions {
 public:
  virtual ~HostActions() = default;
  // As `automon-registrar receive --host HOST` with `snapshot` on stdin.
  virtual Reply Register(const std::string& host, const std::string& snapshot) = 0;
  // As `automon-registrar remove HOST`, but without the tombstone: the
  // host itself left, and may come back.
  virtual Reply Deregister(const std::string& host) = 0;
  // Passive results (formats/results.h) of `host`; the reply's stdout is
  // the per-item replies (formats::SerializeReplies).
  virtual Reply Results(const std::string& /*host*/, const std::string& /*document*/) {
    return {2, "", "refused: this registrar takes no passive results\n"};
  }
  // Marks a registration as arriving while its snapshot is transferred
  // (the shared arrivals lock that `receive` holds while it validates), so
  // that the quiet period waits for it. An invalid descriptor when that
  // cannot be done: the registration then counts only once it is received.
  virtual UniqueFd Arriving() = 0;
};

class RegistrarService final : public Handler {
 public:
  RegistrarService(Enrollment& enrollment, HostActions& actions, std::string banner)
      : enrollment_(enrollment), actions_(actions), banner_(std::move(banner)) {}

  // Every key may connect: unknown keys can only say hello or enroll.
  bool AcceptsKey(const std::string& /*fingerprint*/) override { return true; }
  // `register` from an enrolled key may send a snapshot (up to
  // formats::kMaxSnapshotBytes), `results` a results document (up to
  // formats::kMaxResultsDocumentBytes); every other command kMaxSmallInput
  // bytes; `register` and `results` from a key that is not enrolled are
  // refused before their input.
  // An enrolled key's `register` holds HostActions::Arriving meanwhile.
  Admission Admit(const Request& request) override;
  Reply Handle(const Request& request) override;

 private:
  Enrollment& enrollment_;
  HostActions& actions_;
  std::string banner_;  // first line of the hello reply
};

}  // namespace automon::registrar::ssh

#endif  // AUTOMON_REGISTRAR_SSH_SERVICE_H_
