// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/directory.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>

#include "formats/parser.h"

namespace automon::formats {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string Printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  return out;
}

}  // namespace

bool IsIgnoredFileName(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kSuffixes = {
      "~", ".swp", ".dpkg-old", ".dpkg-new", ".dpkg-dist", ".dpkg-tmp", ".dpkg-bak"};
  if (name.empty() || name.front() == '.') return true;
  if (std::any_of(kSuffixes.begin(), kSuffixes.end(),
                  [&](std::string_view s) { return EndsWith(name, s); })) {
    return true;
  }
  return name.find(".ucf-") != std::string_view::npos;
}

bool IsAcceptableFileName(std::string_view name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' ||
           c == '_' || c == '+' || c == '-';
  });
}

Result<ScanResult> ScanDirectory(FileSystem& fs, const std::string& directory) {
  std::string dir = directory;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (dir.empty() || !std::all_of(dir.begin(), dir.end(), [](char c) {
        return IsAcceptableFileName(std::string_view(&c, 1)) || c == '/' || c == '@';
      })) {
    return Error{fmt::format("directory '{}': path may use only letters, digits and ._+-/@",
                             Printable(directory))};
  }
  auto entries = fs.ListDirectory(dir);
  if (!entries) return entries.error();

  ScanResult result;
  for (const DirectoryEntry& entry : *entries) {
    if (entry.kind != DirectoryEntry::Kind::kRegular || IsIgnoredFileName(entry.name)) continue;
    const std::string path = dir == "/" ? "/" + entry.name : dir + "/" + entry.name;
    if (!IsAcceptableFileName(entry.name)) {
      result.diagnostics.push_back(
          {Severity::kWarning,
           {dir, 0, 0},
           fmt::format("ignoring file '{}': file names may use only letters, digits and ._+-",
                       Printable(entry.name)),
           ""});
      continue;
    }
    auto text = fs.ReadFile(path, kMaxDefinitionFileBytes);
    if (!text) {
      result.diagnostics.push_back({Severity::kError, {path, 0, 0}, text.error().message, ""});
      continue;
    }
    result.files.push_back(path);
    ParseResult parsed = ParseDefinitions(*text, path);
    result.diagnostics.insert(result.diagnostics.end(), parsed.diagnostics.begin(),
                              parsed.diagnostics.end());
    for (Service& service : parsed.services) result.services.push_back(std::move(service));
  }
  RejectDuplicateServices(result.services, result.diagnostics);
  return result;
}

}  // namespace automon::formats
