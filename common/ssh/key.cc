// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/ssh/key.h"

#include <fmt/format.h>
#include <libssh/libssh.h>

#include <algorithm>

namespace automon::ssh {
namespace {

constexpr size_t kMaxKeyFileBytes = 64 << 10;

// Frees a char* that libssh allocated.
struct LibsshString {
  char* p = nullptr;
  ~LibsshString() { ssh_string_free_char(p); }
};

}  // namespace

void FreeKey(ssh_key_struct* key) noexcept { ssh_key_free(key); }

Result<Key> GenerateEd25519() {
  ssh_key raw = nullptr;
  if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &raw) != SSH_OK || raw == nullptr) {
    return Error{"ssh_pki_generate(ed25519): key generation failed"};
  }
  return Key(raw);
}

Result<Key> ImportPrivateKey(const std::string& text, const std::string& origin) {
  ssh_key raw = nullptr;
  if (ssh_pki_import_privkey_base64(text.c_str(), nullptr, nullptr, nullptr, &raw) != SSH_OK ||
      raw == nullptr) {
    return Error{fmt::format(
        "{}: not a private key in OpenSSH format, or protected by a passphrase", origin)};
  }
  Key key(raw);
  if (!ssh_key_is_private(key.get())) {
    return Error{fmt::format("{}: holds a public key where a private key is needed", origin)};
  }
  return key;
}

Result<std::string> ExportPrivateKey(const Key& key) {
  LibsshString b64;
  if (ssh_pki_export_privkey_base64(key.get(), nullptr, nullptr, nullptr, &b64.p) != SSH_OK) {
    return Error{"ssh_pki_export_privkey_base64: cannot export the private key"};
  }
  return std::string(b64.p);
}

Result<std::string> PublicKeyLine(const Key& key) { return PublicKeyLineOf(key.get()); }

Result<std::string> Fingerprint(const Key& key) { return FingerprintOf(key.get()); }

Result<std::string> PublicKeyLineOf(ssh_key_struct* key) {
  LibsshString b64;
  if (ssh_pki_export_pubkey_base64(key, &b64.p) != SSH_OK) {
    return Error{"ssh_pki_export_pubkey_base64: cannot export the public key"};
  }
  return fmt::format("{} {}", ssh_key_type_to_char(ssh_key_type(key)), b64.p);
}

Result<std::string> FingerprintOf(ssh_key_struct* key) {
  unsigned char* hash = nullptr;
  size_t length = 0;
  if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &length) != SSH_OK) {
    return Error{"ssh_get_publickey_hash: cannot hash the public key"};
  }
  LibsshString fingerprint{ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, length)};
  ssh_clean_pubkey_hash(&hash);
  if (fingerprint.p == nullptr) return Error{"ssh_get_fingerprint_hash: failed"};
  return std::string(fingerprint.p);
}

bool IsFingerprint(std::string_view text) {
  return text.size() == 7 + 43 && text.substr(0, 7) == "SHA256:" &&
         std::all_of(text.begin() + 7, text.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                  c == '+' || c == '/';
         });
}

Result<Key> LoadOrCreate(FileSystem& fs, const std::string& path, bool* created) {
  *created = false;
  auto text = fs.ReadFile(path, kMaxKeyFileBytes);
  if (text) return ImportPrivateKey(*text, path);
  if (!text.error().IsNotFound()) return text.error();
  auto key = GenerateEd25519();
  if (!key) return key.error();
  auto exported = ExportPrivateKey(*key);
  if (!exported) return exported.error();
  if (auto written = fs.WriteFileAtomic(path, *exported, 0600); !written) return written.error();
  *created = true;
  return key;
}

}  // namespace automon::ssh
