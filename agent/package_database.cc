// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/package_database.h"

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "common/parse_integer.h"

namespace automon::agent {
namespace {

constexpr size_t kMaxStatusBytes = 256 << 20;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// Each package instance ("name" or "name:arch") and whether it is installed.
using InstanceStates = std::map<std::string, bool>;

// Applies the stanzas of a status file, or of one journal entry, over
// `states`: a later stanza for the same instance replaces the earlier one.
void ApplyStanzas(std::string_view text, InstanceStates& states) {
  std::string package, architecture;
  bool is_installed = false;
  auto finish = [&] {
    if (!package.empty()) {
      states[architecture.empty() ? package : package + ":" + architecture] = is_installed;
    }
    package.clear();
    architecture.clear();
    is_installed = false;
  };
  while (!text.empty()) {
    const size_t newline = text.find('\n');
    const std::string_view line = text.substr(0, newline);
    text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
    if (Trim(line).empty()) {
      finish();
      continue;
    }
    if (line.front() == ' ' || line.front() == '\t') continue;  // continuation line
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view field = line.substr(0, colon);
    const std::string_view value = Trim(line.substr(colon + 1));
    if (field == "Package") {
      package = std::string(value);
    } else if (field == "Architecture") {
      architecture = std::string(value);
    } else if (field == "Status") {
      const size_t space = value.rfind(' ');
      is_installed = value.substr(space == std::string_view::npos ? 0 : space + 1) == "installed";
    }
  }
  finish();
}

InstalledPackages Installed(const InstanceStates& states) {
  std::set<std::string> names;
  for (const auto& [instance, installed] : states) {
    if (installed) names.insert(instance.substr(0, instance.find(':')));
  }
  return InstalledPackages(std::move(names));
}

bool IsJournalEntry(std::string_view name) {
  return !name.empty() && name.size() <= 9 &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

InstalledPackages ParseDpkgStatus(std::string_view text) {
  InstanceStates states;
  ApplyStanzas(text, states);
  return Installed(states);
}

Result<InstalledPackages> ReadInstalledPackages(FileSystem& fs, const std::string& admindir) {
  // dpkg folds its journal into the status file and removes the entries:
  // an entry that vanished between listing and reading is in the status
  // file now, so read again (a few times at most).
  for (int attempt = 1;; ++attempt) {
    auto text = fs.ReadFile(admindir + "/status", kMaxStatusBytes);
    if (!text) return text.error();
    InstanceStates states;
    ApplyStanzas(*text, states);
    // While dpkg runs (and so in its triggers), what it changed since its
    // last checkpoint is only in its journal, updates/NNNN, applied in
    // numeric order over the status file: what dpkg itself reads.
    auto entries = fs.ListDirectory(admindir + "/updates");
    if (!entries) {
      if (entries.error().IsNotFound()) return Installed(states);
      return entries.error();
    }
    std::vector<std::pair<long, std::string>> journal;
    for (const DirectoryEntry& entry : *entries) {
      if (entry.kind == DirectoryEntry::Kind::kRegular && IsJournalEntry(entry.name)) {
        journal.emplace_back(*ParseInteger(entry.name, 0L, 999999999L), entry.name);
      }
    }
    std::sort(journal.begin(), journal.end());
    bool vanished = false;
    for (const auto& [number, name] : journal) {
      auto update = fs.ReadFile(admindir + "/updates/" + name, kMaxStatusBytes);
      if (!update) {
        if (!update.error().IsNotFound() || attempt == 3) return update.error();
        vanished = true;
        break;
      }
      ApplyStanzas(*update, states);
    }
    if (!vanished) return Installed(states);
  }
}

}  // namespace automon::agent
