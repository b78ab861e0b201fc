// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/ssh/service.h"

#include <fmt/format.h>

#include "common/text.h"
#include "formats/results.h"
#include "formats/snapshot.h"

namespace automon::registrar::ssh {
namespace {

Reply Refuse(std::string why) { return {2, "", "refused: " + why + "\n"}; }

constexpr std::string_view kNotEnrolled =
    "this key is not enrolled; run 'automon-agent enroll' first";

}  // namespace

Admission RegistrarService::Admit(const Request& request) {
  // Only an enrolled key's register carries a document; a key that is not
  // enrolled can make the registrar hold a ticket's worth at most.
  if (request.verb != "register" && request.verb != "results") {
    return {kMaxSmallInput, std::nullopt, UniqueFd()};
  }
  if (!enrollment_.HostOf(request.fingerprint)) {
    return {0, Refuse(std::string(kNotEnrolled)), UniqueFd()};
  }
  if (request.verb == "results") {
    return {formats::kMaxResultsDocumentBytes, std::nullopt, UniqueFd()};
  }
  return {formats::kMaxSnapshotBytes, std::nullopt, actions_.Arriving()};
}

Reply RegistrarService::Handle(const Request& request) {
  if (request.verb != "register" && request.verb != "results" &&
      request.input.size() > kMaxSmallInput) {
    return Refuse(fmt::format("{} takes at most {} bytes of input", request.verb, kMaxSmallInput));
  }
  const std::optional<std::string> host = enrollment_.HostOf(request.fingerprint);
  if (request.verb == "hello") {
    if (!request.args.empty()) return Refuse("hello takes no arguments");
    return {0,
            fmt::format("{}\nyour key: {}\nenrolled as: {}\n", banner_, request.fingerprint,
                        host.value_or("(not enrolled)")),
            ""};
  }
  if (request.verb == "enroll") {
    if (request.args.size() != 1) return Refuse("usage: enroll NAME");
    KeyRecord key{request.args[0], request.fingerprint, request.public_key, request.peer, "", ""};
    const std::string ticket(TrimSpace(request.input));
    const EnrollDecision decision =
        enrollment_.Enroll(key, ticket.empty() ? std::nullopt : std::optional<std::string>(ticket));
    switch (decision.status) {
      case EnrollStatus::kAccepted:
        return {0, decision.message + "\n", ""};
      case EnrollStatus::kPending:
        return {1, decision.message + "\n", ""};
      case EnrollStatus::kDenied:
        return Refuse(decision.message);
    }
  }
  if (request.verb != "register" && request.verb != "deregister" && request.verb != "results") {
    return Refuse(fmt::format("unknown command '{}'", request.verb));
  }
  if (!host) {
    return Refuse(std::string(kNotEnrolled));
  }
  // `--host NAME` (OpenSSH forced-command style) must name the key's host.
  if (!request.args.empty()) {
    if (request.args.size() != 2 || request.args[0] != "--host") {
      return Refuse(fmt::format("usage: {} [--host NAME]", request.verb));
    }
    if (request.args[1] != *host) {
      return Refuse(fmt::format("this key speaks for {}, not for {}", *host, request.args[1]));
    }
  }
  if (request.verb == "results") {
    if (request.input.size() > formats::kMaxResultsDocumentBytes) {
      return Refuse(fmt::format("results takes at most {} bytes of input",
                                formats::kMaxResultsDocumentBytes));
    }
    return actions_.Results(*host, request.input);
  }
  return request.verb == "register" ? actions_.Register(*host, request.input)
                                    : actions_.Deregister(*host);
}

}  // namespace automon::registrar::ssh
