// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/testing/registrar_fixture.h"

#include <gtest/gtest.h>

#include "common/testing/temp_dir.h"
#include "formats/snapshot.h"

namespace automon::testing {
namespace {

TEST(RegistrarFixtureTest, DocumentIsASnapshotTheRegistrarAccepts) {
  auto parsed = formats::ParseSnapshot(
      Document(3, "[ssh]\ntype = ssh\n", {{"web", formats::RemovalReason::kDeleted}},
               "db01.example.org"),
      "test");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->snapshot.host, "db01.example.org");
  EXPECT_EQ(parsed->snapshot.address, "192.0.2.10");
  EXPECT_EQ(parsed->snapshot.generation, 3u);
  ASSERT_EQ(parsed->snapshot.services.size(), 1u);
  EXPECT_EQ(parsed->snapshot.services[0].name, "ssh");
  ASSERT_EQ(parsed->snapshot.removed.size(), 1u);
  EXPECT_EQ(parsed->snapshot.removed[0].service, "web");
  EXPECT_TRUE(parsed->rejected.empty());
}

TEST(RegistrarFixtureTest, NagiosLayoutIsWrittenBelowTheDirectory) {
  ScopedTempDir dir;
  RealFileSystem fs;
  registrar::RealDisk disk;
  registrar::Config config;
  ASSERT_TRUE(UseNagiosLayout(fs, disk, dir.path(), config).ok());
  EXPECT_EQ(config.output_dir, dir.path() + "/conf.d/automon");
  EXPECT_EQ(config.state_dir, dir.path() + "/state");
  EXPECT_EQ(config.quiet_period_ms, 0);
  EXPECT_EQ(fs.ReadFile(config.nagios_cfg, 4096).value(), "cfg_dir=" + dir.path() + "/conf.d\n");
  EXPECT_EQ(fs.ReadFile(config.templates_file, 4096).value(), "define host { tpl }\n");
}

TEST(RegistrarFixtureTest, NagiosLayoutFailsWhereNoDirectoryCanBeMade) {
  ScopedTempDir dir;
  RealFileSystem fs;
  registrar::RealDisk disk;
  registrar::Config config;
  ASSERT_TRUE(fs.WriteFileAtomic(dir.path() + "/file", "", 0644).ok());
  EXPECT_FALSE(UseNagiosLayout(fs, disk, dir.path() + "/file", config).ok());
}

}  // namespace
}  // namespace automon::testing
