// SPDX-License-Identifier: GPL-2.0-or-later
// SSH keys through libssh: generate, load, export, fingerprint. The one
// place that wraps libssh's ssh_key handle (STYLE.md: wrap each C handle
// exactly once); agent and registrar both use it.
#ifndef AUTOMON_COMMON_SSH_KEY_H_
#define AUTOMON_COMMON_SSH_KEY_H_

#include <memory>
#include <string>
#include <string_view>

#include "common/c_deleter.h"
#include "common/file_system.h"
#include "common/result.h"

struct ssh_key_struct;

namespace automon::ssh {

// ssh_key_free(), declared here so that this header needs no libssh header.
void FreeKey(ssh_key_struct* key) noexcept;
// An owned libssh key (private or public).
using Key = std::unique_ptr<ssh_key_struct, CDeleter<FreeKey>>;

// A fresh ed25519 key pair.
Result<Key> GenerateEd25519();

// Parses a private key in OpenSSH's format (what ssh-keygen writes).
// Passphrase-protected keys are refused.
Result<Key> ImportPrivateKey(const std::string& text, const std::string& origin);

// The private key in OpenSSH's format, as ssh-keygen writes it.
Result<std::string> ExportPrivateKey(const Key& key);

// "ssh-ed25519 AAAA..." (the authorized_keys form, without a comment).
Result<std::string> PublicKeyLine(const Key& key);

// "SHA256:" + unpadded base64 of the SHA-256 of the public key blob,
// byte-identical to what `ssh-keygen -l` prints.
Result<std::string> Fingerprint(const Key& key);

// The same, for a key libssh owns (a server callback's borrowed key).
Result<std::string> PublicKeyLineOf(ssh_key_struct* key);
Result<std::string> FingerprintOf(ssh_key_struct* key);

// True for "SHA256:" followed by 43 characters of unpadded base64, the
// form Fingerprint() returns and ssh-keygen -l prints.
bool IsFingerprint(std::string_view text);

// Loads the private key at `path`, or, when the file does not exist,
// generates an ed25519 key and writes it there with mode 0600 (atomically:
// a crash never leaves half a key). `*created` tells which happened. Any
// other read failure is an error: a key that exists but cannot be read is
// never silently replaced.
Result<Key> LoadOrCreate(FileSystem& fs, const std::string& path, bool* created);

}  // namespace automon::ssh

#endif  // AUTOMON_COMMON_SSH_KEY_H_
