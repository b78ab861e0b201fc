// SPDX-License-Identifier: GPL-2.0-or-later
// The shared core of activation: what every backend's activator does alike
// (activation_nagios.cc, activation_checkmk.cc).
#include "registrar/activation.h"

#include <fmt/format.h>

namespace automon::registrar {

Result<std::vector<std::string>> IsolateBreakingHosts(
    std::vector<std::string> hosts, std::string_view what, const SubsetCheck& check,
    std::map<std::string, std::string>& quarantined) {
  std::string why;
  auto all = check(hosts, &why);
  if (!all) return all.error();
  if (*all) return hosts;
  const std::string first_reason = why;
  auto baseline = check({}, &why);
  if (!baseline) return baseline.error();
  if (!*baseline) {
    return Error{
        fmt::format("the {} configuration does not verify even without the hosts' "
                    "changes, so nothing was activated: {}",
                    what, why)};
  }
  if (hosts.size() == 1) {
    quarantined[hosts.front()] = first_reason;
    return std::vector<std::string>{};
  }
  std::vector<std::string> passing;
  for (const std::string& host : hosts) {
    auto alone = check({host}, &why);
    if (!alone) return alone.error();
    if (!*alone) {
      quarantined[host] = why;
    } else {
      passing.push_back(host);
    }
  }
  if (passing.empty()) return passing;
  auto again = check(passing, &why);
  if (!again) return again.error();
  if (!*again) {
    for (const std::string& host : passing) quarantined[host] = why;
    passing.clear();
  }
  return passing;
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : path.substr(0, slash);
}

bool IsInside(const std::string& path, const std::string& dir) {
  return path == dir || path.starts_with(dir + "/");
}

std::string VerifierReason(const ProcessResult& result) {
  std::string reason;
  int kept = 0;
  size_t start = 0;
  while (start < result.output.size() && kept < 6) {
    size_t end = result.output.find('\n', start);
    if (end == std::string::npos) end = result.output.size();
    std::string_view line(result.output.data() + start, end - start);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    if (line.find("Error") != std::string_view::npos ||
        line.find("Warning") != std::string_view::npos ||
        line.find("Unable") != std::string_view::npos) {
      if (!reason.empty()) reason += "; ";
      reason += line;
      ++kept;
    }
    start = end + 1;
  }
  if (result.timed_out) return "the verify command timed out";
  if (reason.empty()) {
    std::string tail = result.output.size() > 400 ? result.output.substr(result.output.size() - 400)
                                                  : result.output;
    for (char& c : tail) {
      if (c == '\n') c = ' ';
    }
    reason = fmt::format("exit status {}: {}", result.exit_code, tail);
  }
  return reason;
}

}  // namespace automon::registrar
