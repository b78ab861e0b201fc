#include "agent/package_database.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace automon::agent
