// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/package_database.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "common/testing/fake_file_system.h"

namespace automon::agent {
namespace {

constexpr std::string_view kStatus =
    "Package: apache2\nStatus: install ok installed\nVersion: 2.4\nDescription: web\n"
    " continued: Status: not a field\n\n"
    "Package: slapd\nStatus: deinstall ok config-files\n\n"
    "Package: nginx\nStatus: hold ok installed\n\n"
    "Package: libfoo\nArchitecture: i386\nStatus: deinstall ok config-files\n\n"
    "Package: libfoo\nArchitecture: amd64\nStatus: install ok installed\n\n"
    "Package: half\nStatus: install ok half-configured\n";

TEST(DpkgStatusTest, InstalledMeansLastStatusWordInstalled) {
  const InstalledPackages packages = ParseDpkgStatus(kStatus);
  EXPECT_TRUE(packages.IsInstalled("apache2"));
  EXPECT_TRUE(packages.IsInstalled("nginx"));
  EXPECT_TRUE(packages.IsInstalled("libfoo"));
  EXPECT_FALSE(packages.IsInstalled("slapd"));
  EXPECT_FALSE(packages.IsInstalled("half"));
  EXPECT_FALSE(packages.IsInstalled("absent"));
  EXPECT_EQ(packages.size(), 3u);
}

TEST(DpkgStatusTest, ReadsAdmindirStatusAndReportsFailure) {
  testing::FakeFileSystem fs;
  fs.AddFile("/var/lib/dpkg/status", std::string(kStatus));
  auto packages = ReadInstalledPackages(fs, "/var/lib/dpkg");
  ASSERT_TRUE(packages.ok());
  EXPECT_TRUE(packages->IsInstalled("apache2"));
  auto missing = ReadInstalledPackages(fs, "/nope");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message, "open(/nope/status): No such file or directory");
}

// During a dpkg run the packages just (un)installed are only in dpkg's
// journal: updates/NNNN, applied in numeric order over the status file.
TEST(DpkgStatusTest, AppliesDpkgsJournalInNumericOrder) {
  testing::FakeFileSystem fs;
  fs.AddFile("/d/status", std::string(kStatus));
  fs.AddDirectory("/d/updates");
  // slapd installed, then apache2 removed, then apache2 installed again
  // (0010 after 0002 after 0001, whatever the listing order); nginx removed.
  fs.AddFile("/d/updates/0010", "Package: apache2\nStatus: install ok installed\n");
  fs.AddFile("/d/updates/0001",
             "Package: slapd\nStatus: install ok installed\n\n"
             "Package: nginx\nStatus: deinstall ok config-files\n");
  fs.AddFile("/d/updates/0002", "Package: apache2\nStatus: purge ok not-installed\n");
  // Not journal entries: dpkg's temporary file, and anything else.
  fs.AddFile("/d/updates/tmp.i", "Package: evil\nStatus: install ok installed\n");
  fs.AddFile("/d/updates/0003.bak", "Package: evil\nStatus: install ok installed\n");
  auto packages = ReadInstalledPackages(fs, "/d");
  ASSERT_TRUE(packages.ok()) << packages.error().message;
  EXPECT_TRUE(packages->IsInstalled("slapd"));
  EXPECT_TRUE(packages->IsInstalled("apache2"));
  EXPECT_FALSE(packages->IsInstalled("nginx"));
  EXPECT_FALSE(packages->IsInstalled("evil"));
}

TEST(DpkgStatusTest, AJournalEntryReplacesOnlyItsOwnArchitecture) {
  testing::FakeFileSystem fs;
  fs.AddFile("/d/status", std::string(kStatus));
  fs.AddDirectory("/d/updates");
  // libfoo:amd64 removed; libfoo:i386 was config-files only: none left.
  fs.AddFile("/d/updates/0000",
             "Package: libfoo\nArchitecture: amd64\nStatus: deinstall ok config-files\n");
  auto packages = ReadInstalledPackages(fs, "/d");
  ASSERT_TRUE(packages.ok());
  EXPECT_FALSE(packages->IsInstalled("libfoo"));
  fs.AddFile("/d/updates/0001",
             "Package: libfoo\nArchitecture: i386\nStatus: install ok installed\n");
  EXPECT_TRUE(ReadInstalledPackages(fs, "/d")->IsInstalled("libfoo"));
}

TEST(DpkgStatusTest, AnUnreadableJournalRefusesRatherThanGuessing) {
  testing::FakeFileSystem fs;
  fs.AddFile("/d/status", std::string(kStatus));
  fs.AddDirectory("/d/updates");
  fs.AddFile("/d/updates/0000", "Package: slapd\nStatus: install ok installed\n");
  fs.FailWith("/d/updates/0000", EACCES);
  auto packages = ReadInstalledPackages(fs, "/d");
  ASSERT_FALSE(packages.ok());
  EXPECT_NE(packages.error().message.find("/d/updates/0000"), std::string::npos)
      << packages.error().message;
  fs.FailWith("/d/updates", EACCES);
  EXPECT_FALSE(ReadInstalledPackages(fs, "/d").ok());
}

}  // namespace
}  // namespace automon::agent
