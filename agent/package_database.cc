#include "agent/package_database.h"

namespace automon::agent {
namespace {

constexpr size_t kMaxStatusBytes = 256 << 20;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

}  // namespace

InstalledPackages ParseDpkgStatus(std::string_view text) {
  std::set<std::string> installed;
  std::string package;
  bool is_installed = false;
  auto finish = [&] {
    if (!package.empty() && is_installed) installed.insert(package);
    package.clear();
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
    } else if (field == "Status") {
      const size_t space = value.rfind(' ');
      is_installed = value.substr(space == std::string_view::npos ? 0 : space + 1) == "installed";
    }
  }
  finish();
  return InstalledPackages(std::move(installed));
}

Result<InstalledPackages> ReadInstalledPackages(FileSystem& fs, const std::string& admindir) {
  auto text = fs.ReadFile(admindir + "/status", kMaxStatusBytes);
  if (!text) return text.error();
  return ParseDpkgStatus(*text);
}

}  // namespace automon::agent
