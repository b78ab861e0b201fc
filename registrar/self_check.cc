// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/self_check.h"

#include <fmt/format.h>
#include <netdb.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <vector>

#include "common/parse_integer.h"
#include "common/text.h"
#include "formats/ini.h"

namespace automon::registrar {

std::string SerializeStatus(const RegistrarStatus& s) {
  return fmt::format(
      "# automon-registrar status for `automon-registrar check`; rewritten by the registrar\n"
      "[status]\nupdated = {}\nhosts = {}\nservices = {}\npending = {}\nquarantined = {}\n"
      "silent = {}\nguard_holds = {}\nlast_activation = {}\nlast_activation_ok = {}\n"
      "last_activation_error = {}\nfirst_quarantined = {}\n",
      s.updated, s.hosts, s.services, s.pending, s.quarantined, s.silent,
      s.guard_holds ? "true" : "false", s.last_activation, s.last_activation_ok ? "true" : "false",
      OneLine(s.last_activation_error, ' '), OneLine(s.first_quarantined, ' '));
}

Result<RegistrarStatus> ParseStatus(std::string_view text, std::string_view filename) {
  std::vector<Diagnostic> diagnostics;
  const auto sections = formats::LexIni(text, filename, diagnostics);
  if (!diagnostics.empty() || sections.size() != 1 || sections[0].name != "status") {
    return Error{fmt::format("{}: damaged status file", filename)};
  }
  RegistrarStatus s;
  for (const formats::IniEntry& e : sections[0].entries) {
    auto count = [&](uint64_t& field) {
      auto n = ParseInteger<uint64_t>(e.value);
      if (n) field = *n;
      return n.ok();
    };
    auto time = [&](int64_t& field) {
      auto n = ParseInteger<int64_t>(e.value, 0, std::numeric_limits<int64_t>::max());
      if (n) field = *n;
      return n.ok();
    };
    auto flag = [&](bool& field) {
      field = e.value == "true";
      return e.value == "true" || e.value == "false";
    };
    bool ok = true;
    if (e.key == "updated") ok = time(s.updated);
    if (e.key == "hosts") ok = count(s.hosts);
    if (e.key == "services") ok = count(s.services);
    if (e.key == "pending") ok = count(s.pending);
    if (e.key == "quarantined") ok = count(s.quarantined);
    if (e.key == "silent") ok = count(s.silent);
    if (e.key == "guard_holds") ok = flag(s.guard_holds);
    if (e.key == "last_activation") ok = time(s.last_activation);
    if (e.key == "last_activation_ok") ok = flag(s.last_activation_ok);
    if (e.key == "last_activation_error") s.last_activation_error = e.value;
    if (e.key == "first_quarantined") s.first_quarantined = e.value;
    if (!ok) {
      return Error{fmt::format("{}: invalid value '{}' for '{}'", e.value_loc.ToString(),
                               OneLine(e.value), e.key)};
    }
  }
  return s;
}

PluginResult EvaluateStatus(const RegistrarStatus& s, int64_t now) {
  const int64_t since_activation =
      s.last_activation > 0 ? std::max<int64_t>(0, now - s.last_activation) : 0;
  const std::string perfdata = fmt::format(
      "hosts={} services={} pending={} quarantined={} silent={} last_activation_seconds={}s",
      s.hosts, s.services, s.pending, s.quarantined, s.silent, since_activation);
  std::vector<std::string> critical, warning;
  if (s.quarantined > 0) {
    critical.push_back(fmt::format("{} quarantined (e.g. {})", s.quarantined,
                                   s.first_quarantined.empty() ? "?" : s.first_quarantined));
  }
  if (!s.last_activation_ok) {
    critical.push_back(fmt::format("last activation failed: {}", s.last_activation_error));
  }
  if (s.guard_holds) {
    warning.push_back(
        "mass-silence guard holds: too many hosts went silent at once, "
        "no host changes state");
  }
  if (s.silent > 0) warning.push_back(fmt::format("{} silent", s.silent));
  if (s.pending > 0) warning.push_back(fmt::format("{} enrollments waiting", s.pending));
  const int64_t age = now - s.updated;
  PluginResult result;
  std::string summary;
  if (age > kStatusMaxAgeSeconds) {
    result.code = 3;
    summary = fmt::format("status is {}s old: is automon-registrar serve running?", age);
  } else if (!critical.empty()) {
    result.code = 2;
  } else if (!warning.empty()) {
    result.code = 1;
  } else {
    result.code = 0;
  }
  if (summary.empty()) {
    for (const auto* list : {&critical, &warning}) {
      for (const std::string& part : *list) summary += (summary.empty() ? "" : ", ") + part;
    }
    if (summary.empty()) summary = fmt::format("{} hosts, {} services active", s.hosts, s.services);
  }
  static constexpr std::string_view kNames[] = {"OK", "WARNING", "CRITICAL", "UNKNOWN"};
  result.text =
      fmt::format("AUTOMON REGISTRAR {} - {} | {}", kNames[result.code], summary, perfdata);
  return result;
}

std::string MachineFqdn() {
  char name[256] = {};
  if (::gethostname(name, sizeof name - 1) != 0) return "localhost";
  addrinfo hints{};
  hints.ai_flags = AI_CANONNAME;
  addrinfo* info = nullptr;
  if (::getaddrinfo(name, nullptr, &hints, &info) != 0 || info == nullptr) return name;
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> owned(info, ::freeaddrinfo);
  if (info->ai_canonname == nullptr || std::string_view(info->ai_canonname).empty()) return name;
  return info->ai_canonname;
}

}  // namespace automon::registrar
