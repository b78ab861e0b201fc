// SPDX-License-Identifier: GPL-2.0-or-later
// ScopedTempDir: a fresh, private directory for one test, removed with
// everything in it when the object goes away (ninja's ScopedTempDir).
// Created under $TMPDIR, or /tmp when that is unset, as
// automon-test-XXXXXX. Tests only: a failure to create the directory aborts
// through AUTOMON_CHECK; removal errors in the destructor are ignored.
// Not thread-safe; not copyable, not movable.
#ifndef AUTOMON_COMMON_TESTING_TEMP_DIR_H_
#define AUTOMON_COMMON_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

#include "common/check.h"

namespace automon::testing {

class ScopedTempDir {
 public:
  ScopedTempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/automon-test-XXXXXX";
    AUTOMON_CHECK(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  // The directory, without a trailing slash.
  const std::string& path() const { return path_; }
  // `name` inside the directory: path() + "/" + name.
  std::string File(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

}  // namespace automon::testing

#endif  // AUTOMON_COMMON_TESTING_TEMP_DIR_H_
