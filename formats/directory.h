// SPDX-License-Identifier: GPL-2.0-or-later
// Reading a whole monitoring-info directory (/etc/monitoring-info).
#ifndef AUTOMON_FORMATS_DIRECTORY_H_
#define AUTOMON_FORMATS_DIRECTORY_H_

#include <string>
#include <string_view>
#include <vector>

#include "common/diagnostic.h"
#include "common/file_system.h"
#include "common/result.h"
#include "formats/service.h"

namespace automon::formats {

inline constexpr size_t kMaxDefinitionFileBytes = 1 << 20;

// True for names a scan skips without a word, as run-parts and dpkg
// conventions expect: hidden files (leading '.'), editor backups ('~',
// '.swp'), and package-manager leftovers ('.dpkg-old', '.dpkg-new',
// '.dpkg-dist', '.dpkg-tmp', '.dpkg-bak', '.ucf-old', '.ucf-new',
// '.ucf-dist', and any '.ucf-*').
bool IsIgnoredFileName(std::string_view name);

// True for names made only of [A-Za-z0-9._+-]; other names are skipped
// with a warning (they would not survive the snapshot's source field).
bool IsAcceptableFileName(std::string_view name);

struct ScanResult {
  std::vector<Service> services;        // every valid service, in file then line order
  std::vector<Diagnostic> diagnostics;  // every error and warning of every file
  std::vector<std::string> files;       // the files read, full paths

  bool operator==(const ScanResult&) const = default;
};

// Reads every definition file of `directory` (not recursing). Fails only
// when the directory itself cannot be listed (the agent must then refuse
// to push, never push an empty set); an unreadable or broken file becomes
// diagnostics and its valid sections are still used. Service names and
// descriptions must be unique across files (RejectDuplicateServices).
Result<ScanResult> ScanDirectory(FileSystem& fs, const std::string& directory);

}  // namespace automon::formats

#endif  // AUTOMON_FORMATS_DIRECTORY_H_
