// SPDX-License-Identifier: GPL-2.0-or-later
// SHA-256 (FIPS 180-4), used for the snapshot's content hash. Written here
// because the project's allowed dependencies have no digest API of their own
// (libssh and libcurl do not export one).
#ifndef AUTOMON_COMMON_SHA256_H_
#define AUTOMON_COMMON_SHA256_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace automon {

class Sha256 {
 public:
  Sha256();
  void Update(std::string_view data);
  // Finishes the digest; the object must not be updated afterwards.
  std::array<uint8_t, 32> Finish();

 private:
  void Block(const uint8_t* p);

  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buffer_{};
  size_t buffered_ = 0;
  uint64_t length_ = 0;
  bool finished_ = false;
};

// Lower-case hex SHA-256 of `data`.
std::string Sha256Hex(std::string_view data);

}  // namespace automon

#endif  // AUTOMON_COMMON_SHA256_H_
