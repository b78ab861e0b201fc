// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/ssh/key.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "common/c_deleter.h"
#include "common/testing/fake_file_system.h"
#include "common/testing/temp_dir.h"

namespace automon::ssh {
namespace {

// Runs a command and returns its standard output (OpenSSH's own tools are
// the reference for formats and fingerprints).
std::string Output(const std::string& command) {
  std::string out;
  std::unique_ptr<FILE, CDeleter<::pclose>> pipe(::popen(command.c_str(), "r"));
  if (!pipe) return out;
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe.get())) > 0)
    out.append(buffer.data(), n);
  return out;
}

class SshKeyTest : public ::testing::Test {
 protected:
  testing::ScopedTempDir temp_;
  std::string dir_ = temp_.path();
  RealFileSystem fs_;
};

TEST_F(SshKeyTest, CreatedKeyIsPrivateAndAgreesWithSshKeygen) {
  const std::string path = dir_ + "/agent_key";
  bool created = false;
  auto key = LoadOrCreate(fs_, path, &created);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_TRUE(created);
  struct stat st;
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);

  auto fingerprint = Fingerprint(*key);
  ASSERT_TRUE(fingerprint.ok());
  EXPECT_EQ(fingerprint->rfind("SHA256:", 0), 0u);
  // ssh-keygen -l prints "256 SHA256:... comment (ED25519)".
  const std::string listed = Output("ssh-keygen -l -f " + path);
  EXPECT_NE(listed.find(" " + *fingerprint + " "), std::string::npos) << listed;
  EXPECT_NE(listed.find("(ED25519)"), std::string::npos) << listed;
  // ssh-keygen -y derives the public key from our private key file.
  auto line = PublicKeyLine(*key);
  ASSERT_TRUE(line.ok());
  EXPECT_EQ(Output("ssh-keygen -y -f " + path).substr(0, line->size()), *line);
}

TEST_F(SshKeyTest, ExistingKeyIsLoadedNotReplaced) {
  const std::string path = dir_ + "/k";
  ASSERT_EQ(std::system(("ssh-keygen -q -t ed25519 -N '' -C test -f " + path).c_str()), 0);
  const std::string before = Output("cat " + path);
  bool created = true;
  auto key = LoadOrCreate(fs_, path, &created);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_FALSE(created);
  EXPECT_EQ(Output("cat " + path), before);
  auto fingerprint = Fingerprint(*key);
  ASSERT_TRUE(fingerprint.ok());
  EXPECT_NE(Output("ssh-keygen -l -f " + path + ".pub").find(*fingerprint), std::string::npos);
}

TEST_F(SshKeyTest, PassphraseProtectedOrGarbageKeyIsRefused) {
  const std::string path = dir_ + "/locked";
  ASSERT_EQ(std::system(("ssh-keygen -q -t ed25519 -N secret -f " + path).c_str()), 0);
  bool created = true;
  auto key = LoadOrCreate(fs_, path, &created);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message,
            path + ": not a private key in OpenSSH format, or protected by a passphrase");
  EXPECT_FALSE(created);
  std::ofstream(dir_ + "/garbage") << "not a key\n";
  EXPECT_FALSE(LoadOrCreate(fs_, dir_ + "/garbage", &created).ok());
  auto pub = LoadOrCreate(fs_, path + ".pub", &created);
  ASSERT_FALSE(pub.ok());
}

TEST(SshKeyFakeTest, UnreadableKeyIsNeverReplaced) {
  testing::FakeFileSystem fs;
  fs.AddFile("/etc/automon/agent_key", "whatever");
  fs.FailWith("/etc/automon/agent_key", EACCES);
  bool created = true;
  auto key = LoadOrCreate(fs, "/etc/automon/agent_key", &created);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message, "open(/etc/automon/agent_key): Permission denied");
  EXPECT_FALSE(created);
  EXPECT_EQ(fs.files().at("/etc/automon/agent_key"), "whatever");
}

TEST(SshKeyFakeTest, KeyRoundTripsThroughExport) {
  auto key = GenerateEd25519();
  ASSERT_TRUE(key.ok());
  auto text = ExportPrivateKey(*key);
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(text->rfind("-----BEGIN OPENSSH PRIVATE KEY-----", 0), 0u);
  auto again = ImportPrivateKey(*text, "memory");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*Fingerprint(*again), *Fingerprint(*key));
  auto other = GenerateEd25519();
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*Fingerprint(*other), *Fingerprint(*key));
}

}  // namespace
}  // namespace automon::ssh
