// ScopedTempDir: a fresh directory under $TMPDIR (or /tmp), removed with
// everything in it when the object goes away. For tests only.
#ifndef AUTOMON_REGISTRAR_TESTING_TEMP_DIR_H_
#define AUTOMON_REGISTRAR_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "common/check.h"

namespace automon::registrar::testing {

class ScopedTempDir {
 public:
  ScopedTempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base ? base : "/tmp") + "/automon-test-XXXXXX";
    AUTOMON_CHECK(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScopedTempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScopedTempDir(const ScopedTempDir&) = delete;
  ScopedTempDir& operator=(const ScopedTempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace automon::registrar::testing

#endif  // AUTOMON_REGISTRAR_TESTING_TEMP_DIR_H_
