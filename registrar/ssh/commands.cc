// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/ssh/commands.h"

#include <fmt/format.h>

#include <limits>

#include "common/parse_integer.h"
#include "registrar/json_output.h"
#include "registrar/ssh/enrollment.h"

namespace automon::registrar::ssh {
namespace {

constexpr int kOk = 0;
constexpr int kFailed = 2;

}  // namespace

std::optional<int64_t> ParseDuration(std::string_view text) {
  return ParseDurationSeconds(text, int64_t{365} * 86400);
}

namespace {

int Failed(const ServeDependencies& deps, const Error& error) {
  deps.log << "automon-registrar: " << error.message << "\n";
  return kFailed;
}

// Runs `fn` on the enrollment state of `config`, or says why it cannot.
template <class Fn>
int WithEnrollment(const Config& config, const ServeDependencies& deps, Fn fn) {
  Enrollment enrollment(deps.fs, deps.disk, config.state_dir, config.enrollment, {},
                        {deps.now_iso8601, deps.now_unix}, [&deps](const std::string& line) {
                          deps.log << "automon-registrar: " << line << "\n";
                        });
  if (auto init = enrollment.Initialise(); !init) return Failed(deps, init.error());
  return fn(enrollment);
}

}  // namespace

int RunPending(const Config& config, const ServeDependencies& deps, std::ostream& out,
               OutputFormat format) {
  return WithEnrollment(config, deps, [&](Enrollment& enrollment) {
    nlohmann::json list = nlohmann::json::array();
    for (const KeyRecord& k : enrollment.Pending()) {
      const bool replaces = k.how == "replace";
      if (format == OutputFormat::kJson) {
        list.push_back({{"host", k.host},
                        {"fingerprint", k.fingerprint},
                        {"peer", k.peer},
                        {"since", k.when},
                        {"replaces_enrolled_key", replaces}});
        continue;
      }
      out << fmt::format("{}  {}  from {}  since {}{}\n", k.host, k.fingerprint, k.peer, k.when,
                         replaces ? "  (replaces the enrolled key: accept --replace)" : "");
    }
    if (format == OutputFormat::kJson) {
      out << JsonText({{"version", kJsonVersion}, {"pending", std::move(list)}});
    }
    return kOk;
  });
}

int RunAccept(const Config& config, const ServeDependencies& deps, std::ostream& out,
              const std::string& host, bool replace) {
  return WithEnrollment(config, deps, [&](Enrollment& enrollment) {
    auto accepted = enrollment.Accept(host, replace);
    if (!accepted) return Failed(deps, accepted.error());
    out << fmt::format("{} enrolled with key {}\n", accepted->host, accepted->fingerprint);
    return kOk;
  });
}

int RunReject(const Config& config, const ServeDependencies& deps, const std::string& host) {
  return WithEnrollment(config, deps, [&](Enrollment& enrollment) {
    if (auto rejected = enrollment.Reject(host); !rejected) return Failed(deps, rejected.error());
    return kOk;
  });
}

int RunTicket(const Config& config, const ServeDependencies& deps, std::ostream& out,
              const std::string& host, int64_t valid_seconds) {
  return WithEnrollment(config, deps, [&](Enrollment& enrollment) {
    auto ticket = enrollment.IssueTicket(host, valid_seconds);
    if (!ticket) return Failed(deps, ticket.error());
    out << *ticket << "\n";
    deps.log << fmt::format("automon-registrar: on {}, run: automon-agent enroll --ticket {}\n",
                            host, *ticket);
    return kOk;
  });
}

}  // namespace automon::registrar::ssh
