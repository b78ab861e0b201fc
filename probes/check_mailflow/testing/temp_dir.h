// TempDir: a scoped temporary directory for check_mailflow's unit tests,
// removed with everything in it when the object dies.
#ifndef AUTOMON_PROBES_CHECK_MAILFLOW_TESTING_TEMP_DIR_H_
#define AUTOMON_PROBES_CHECK_MAILFLOW_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <filesystem>
#include <string>

#include "common/check.h"

namespace automon::mailflow::testing {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "mailflow-XXXXXX").string();
    AUTOMON_CHECK(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace automon::mailflow::testing

#endif  // AUTOMON_PROBES_CHECK_MAILFLOW_TESTING_TEMP_DIR_H_
