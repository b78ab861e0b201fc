// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/avahi/publisher.h"

#include <avahi-common/error.h>
#include <gtest/gtest.h>

#include <set>

namespace automon::avahi {
namespace {

// An entry group on a host where some names are already taken by another
// local client (avahi answers AVAHI_ERR_COLLISION at once).
class FakeGroup final : public EntryGroupApi {
 public:
  std::set<std::string> taken;
  int fail_commit = AVAHI_OK;
  std::vector<std::string> calls;
  std::vector<std::string> added;  // names currently in the group

  int AddService(const std::string& name, int port, const std::vector<std::string>& txt) override {
    calls.push_back("add " + name + ":" + std::to_string(port) + " " + txt.front());
    if (taken.count(name)) return AVAHI_ERR_COLLISION;
    added.push_back(name);
    return AVAHI_OK;
  }
  int Commit() override {
    calls.push_back("commit");
    return fail_commit;
  }
  int Reset() override {
    calls.push_back("reset");
    added.clear();
    return AVAHI_OK;
  }
};

const Announcement kAnnouncement{"automon registrar on mon1", 2222,
                                 "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s", "nagios", 0};

TEST(PublishTest, FreeNameIsAddedAndCommitted) {
  FakeGroup group;
  auto name = Publish(group, kAnnouncement);
  ASSERT_TRUE(name) << name.error().message;
  EXPECT_EQ(*name, "automon registrar on mon1");
  EXPECT_EQ(group.calls,
            (std::vector<std::string>{"add automon registrar on mon1:2222 version=1", "commit"}));
}

TEST(PublishTest, CollisionRenamesResetsAndRetries) {
  FakeGroup group;
  group.taken = {"automon registrar on mon1", "automon registrar on mon1 #2"};
  auto name = Publish(group, kAnnouncement);
  ASSERT_TRUE(name) << name.error().message;
  EXPECT_EQ(*name, "automon registrar on mon1 #3");
  EXPECT_EQ(group.added, (std::vector<std::string>{"automon registrar on mon1 #3"}));
  EXPECT_EQ(group.calls, (std::vector<std::string>{
                             "add automon registrar on mon1:2222 version=1", "reset",
                             "add automon registrar on mon1 #2:2222 version=1", "reset",
                             "add automon registrar on mon1 #3:2222 version=1", "commit"}));
}

TEST(PublishTest, GivesUpAfterMaxRenames) {
  FakeGroup group;
  group.taken = {"a", "a #2", "a #3"};
  Announcement a = kAnnouncement;
  a.name = "a";
  auto name = Publish(group, a, 2);
  ASSERT_FALSE(name);
  EXPECT_EQ(name.error().message, "avahi_entry_group_add_service(a #3): Local name collision");
}

TEST(PublishTest, CommitFailureIsReported) {
  FakeGroup group;
  group.fail_commit = AVAHI_ERR_BAD_STATE;
  auto name = Publish(group, kAnnouncement);
  ASSERT_FALSE(name);
  EXPECT_EQ(name.error().message, "avahi_entry_group_commit(automon registrar on mon1): Bad state");
}

TEST(PublishTest, InvalidTxtIsRefusedBeforeTouchingTheGroup) {
  FakeGroup group;
  Announcement a = kAnnouncement;
  a.backend = "";
  EXPECT_FALSE(Publish(group, a));
  EXPECT_TRUE(group.calls.empty());
}

}  // namespace
}  // namespace automon::avahi
