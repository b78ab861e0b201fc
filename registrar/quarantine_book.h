// SPDX-License-Identifier: GPL-2.0-or-later
// QuarantineBook: why a host's latest snapshot is not live for one backend
// of several (`backend = nagios, prometheus`), one file per host under a
// directory of that backend's own (<state_dir>/quarantine-<backend>/).
// The first backend keeps HostStore's quarantine/ (unchanged for
// single-backend registrars). Writes are atomic; not thread safe (callers
// hold the activation lock).
#ifndef AUTOMON_REGISTRAR_QUARANTINE_BOOK_H_
#define AUTOMON_REGISTRAR_QUARANTINE_BOOK_H_

#include <optional>
#include <string>

#include "common/file_system.h"
#include "common/result.h"
#include "registrar/disk.h"

namespace automon::registrar {

class QuarantineBook {
 public:
  // `fs` and `disk` must outlive the book; `dir` need not exist yet.
  QuarantineBook(FileSystem& fs, Disk& disk, std::string dir);

  // nullopt when the host is not quarantined (or has no readable reason).
  std::optional<std::string> Reason(const std::string& host);
  Result<void> Set(const std::string& host, const std::string& reason);
  Result<void> Clear(const std::string& host);

 private:
  FileSystem& fs_;
  Disk& disk_;
  std::string dir_;
};

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_QUARANTINE_BOOK_H_
