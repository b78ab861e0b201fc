// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/quarantine_book.h"

namespace automon::registrar {

QuarantineBook::QuarantineBook(FileSystem& fs, Disk& disk, std::string dir)
    : fs_(fs), disk_(disk), dir_(std::move(dir)) {}

std::optional<std::string> QuarantineBook::Reason(const std::string& host) {
  auto text = disk_.ReadStateFile(dir_ + "/" + host, 1 << 20);
  if (!text) return std::nullopt;
  return *text;
}

Result<void> QuarantineBook::Set(const std::string& host, const std::string& reason) {
  if (auto d = fs_.MakeDirectories(dir_, 0700); !d) return d.error();
  return fs_.WriteFileAtomic(dir_ + "/" + host, reason, 0600);
}

Result<void> QuarantineBook::Clear(const std::string& host) {
  return disk_.RemoveFile(dir_ + "/" + host);
}

}  // namespace automon::registrar
