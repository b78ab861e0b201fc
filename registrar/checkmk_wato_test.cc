// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/checkmk_wato.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "common/testing/fake_file_system.h"

namespace automon::registrar {
namespace {

using Names = std::vector<std::string>;
using Hosts = std::map<std::string, std::optional<std::string>>;

constexpr char kWato[] = "/site/etc/check_mk/conf.d/wato";

// As Checkmk 2.3 writes it (host_storage.py, pprint-formatted values).
constexpr char kHostsMk[] = R"(# Created by HostStorage

all_hosts += ['web01.example.org',
 'db01',
 "quoted.example.org"]

clusters.update({'cluster1': ['db01', 'db02'], 'cluster2': ['db03']})

host_tags.update({'web01.example.org': {'site': 'mysite', 'agent': 'cmk-agent'},
 'db01': {'site': 'mysite'}})

host_labels.update({'db01': {'all_hosts': 'not a host', 'x': 'y'}})

# Explicit IPv4 addresses
ipaddresses.update({'web01.example.org': '192.0.2.1'})

# Explicit settings for alias
explicit_host_conf.setdefault('alias', {})
explicit_host_conf['alias'].update({'db01': 'parent-of-other.example.org'})

# Host attributes (needed for WATO)
host_attributes.update({'db01': {'parents': ['switch1.example.org'], 'meta_data': {'created_at': 1.5e9}}})

folder_attributes.update({})
)";

TEST(CheckmkWatoTest, ParsesHostsAndClustersOfASetupFile) {
  auto names = ParseSetupHostsFile(kHostsMk, "hosts.mk");
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_EQ(*names,
            (Names{"web01.example.org", "db01", "quoted.example.org", "cluster1", "cluster2"}));
}

TEST(CheckmkWatoTest, ParsesTheOldTaggedFormat) {
  // Checkmk 1.x: "name|tag|.../" + FOLDER_PATH + "/", comments and
  // escapes, a trailing comma, several statements, prefixes.
  constexpr char kOld[] =
      "# encoding: utf-8\n"
      "all_hosts += [\n"
      "  \"old1|lan|prod|cmk-agent|/\" + FOLDER_PATH + \"/\",  # a comment ] with a bracket\n"
      "  u'old2|wato|/' + FOLDER_PATH + '/',\n"
      "]\n"
      "all_hosts += ['es\\x63aped', 'it\\'s', r'raw\\n', 'con' 'cat', '''tri\n'ple''']\n"
      "clusters.update({\n  'c1|tag|/' + FOLDER_PATH + '/': ['old1'],\n})\n";
  auto names = ParseSetupHostsFile(kOld, "hosts.mk");
  ASSERT_TRUE(names.ok()) << names.error().message;
  EXPECT_EQ(*names,
            (Names{"old1", "old2", "escaped", "it's", "raw\\n", "concat", "tri\n'ple", "c1"}));
}

TEST(CheckmkWatoTest, AFileWithoutHostsHasNone) {
  for (const char* text : {"", "# Created by HostStorage\n\nfolder_attributes.update({})\n",
                           "host_attributes.update({'all_hosts': ['x']})\n", "x = y.all_hosts\n"}) {
    auto names = ParseSetupHostsFile(text, "hosts.mk");
    ASSERT_TRUE(names.ok()) << text << ": " << names.error().message;
    EXPECT_EQ(*names, Names{}) << text;
  }
}

TEST(CheckmkWatoTest, RefusesWhatItCannotRead) {
  const std::pair<const char*, const char*> cases[] = {
      {"all_hosts += ['a',\n 'b\n", "f.mk:2: unterminated string literal"},
      {"\n\nall_hosts += ['''a", "f.mk:3: unterminated string literal"},
      {"all_hosts += host_list()\n",
       "f.mk:1: cannot tell which hosts this names: expected 'all_hosts += [...]'"},
      {"all_hosts = ['a']\n",
       "f.mk:1: cannot tell which hosts this names: expected 'all_hosts += [...]'"},
      {"x = 1\nall_hosts.append('a')\n",
       "f.mk:2: cannot tell which hosts this names: expected 'all_hosts += [...]'"},
      {"all_hosts += ['a',\n NAME]\n",
       "f.mk:2: cannot tell which host an entry of all_hosts names: it does not start with a "
       "string literal"},
      {"clusters['c'] = []\n",
       "f.mk:1: cannot tell which clusters this names: expected 'clusters.update({...})'"},
      {"clusters.update({KEY: []})\n",
       "f.mk:1: cannot tell which host an entry of clusters names: it does not start with a "
       "string literal"},
      {"all_hosts += ['a'\n", "f.mk:1: all_hosts is not closed"},
      {"all_hosts += ['a', 'b')]\n", "f.mk:1: unbalanced ')' in all_hosts"},
      {"x = ]\n", "f.mk:1: unbalanced ']'"},
      {"x = [\n", "f.mk: a bracket is not closed"},
      {"all_hosts += ['\\xZZ']\n", "f.mk:1: invalid \\x escape"},
  };
  for (const auto& [text, message] : cases) {
    auto names = ParseSetupHostsFile(text, "f.mk");
    ASSERT_FALSE(names.ok()) << text;
    EXPECT_EQ(names.error().message, message) << text;
  }
}

TEST(CheckmkWatoTest, SetupDirIsBesideConfDir) {
  Config config;
  config.checkmk_site = "mysite";
  const std::pair<const char*, const char*> cases[] = {
      {"/omd/sites/mysite/etc/check_mk/conf.d/automon",
       "/omd/sites/mysite/etc/check_mk/conf.d/wato"},
      {"/tmp/t/site/etc/check_mk/conf.d/automon/", "/tmp/t/site/etc/check_mk/conf.d/wato"},
      {"/srv/conf.d/x/y/automon", "/srv/conf.d/wato"},
      {"/srv/conf.d", "/srv/conf.d/wato"},
      {"/var/lib/automon/checkmk", "/omd/sites/mysite/etc/check_mk/conf.d/wato"},
      {"relative", "/omd/sites/mysite/etc/check_mk/conf.d/wato"},
  };
  for (const auto& [conf_dir, setup_dir] : cases) {
    config.checkmk_conf_dir = conf_dir;
    EXPECT_EQ(CheckmkSetupDir(config), setup_dir) << conf_dir;
  }
}

class CheckmkWatoFsTest : public ::testing::Test {
 protected:
  void AddHostsMk(const std::string& folder, const std::string& text) {
    const std::string dir = folder.empty() ? kWato : std::string(kWato) + "/" + folder;
    ASSERT_TRUE(fs_.MakeDirectories(dir, 0755).ok());
    fs_.AddFile(dir + "/hosts.mk", text);
  }

  testing::FakeFileSystem fs_;
};

TEST_F(CheckmkWatoFsTest, ReadsEveryFolder) {
  AddHostsMk("", "all_hosts += ['root1']\n");
  AddHostsMk("linux", "all_hosts += ['web01.example.org']\n");
  AddHostsMk("linux/db", "all_hosts += ['db01']\nclusters.update({'dbc': ['db01']})\n");
  fs_.AddFile(std::string(kWato) + "/linux/rules.mk", "all_hosts += nonsense(\n");
  fs_.AddFile(std::string(kWato) + "/linux/.wato", "{'title': 'Linux'}");
  auto hosts = ReadSetupHosts(fs_, kWato);
  ASSERT_TRUE(hosts.ok()) << hosts.error().message;
  EXPECT_EQ(*hosts, (std::map<std::string, std::string>{{"root1", ""},
                                                        {"web01.example.org", "linux"},
                                                        {"db01", "linux/db"},
                                                        {"dbc", "linux/db"}}));
}

TEST_F(CheckmkWatoFsTest, NoSetupDirectoryMeansNoHosts) {
  auto hosts = ReadSetupHosts(fs_, kWato);
  ASSERT_TRUE(hosts.ok()) << hosts.error().message;
  EXPECT_TRUE(hosts->empty());
}

TEST_F(CheckmkWatoFsTest, ReadErrorsAreErrors) {
  AddHostsMk("linux", "all_hosts += ['a']\n");
  fs_.FailWith(std::string(kWato) + "/linux/hosts.mk", EACCES);
  auto hosts = ReadSetupHosts(fs_, kWato);
  ASSERT_FALSE(hosts.ok());
  EXPECT_EQ(hosts.error().message,
            std::string("open(") + kWato + "/linux/hosts.mk): Permission denied");
  fs_.FailWith(kWato, EACCES);
  hosts = ReadSetupHosts(fs_, kWato);
  ASSERT_FALSE(hosts.ok());
  EXPECT_EQ(hosts.error().message, std::string("opendir(") + kWato + "): Permission denied");
}

TEST_F(CheckmkWatoFsTest, DeepFoldersStop) {
  std::string folder = "f";
  for (int i = 0; i < 70; ++i) folder += "/f";
  AddHostsMk(folder, "all_hosts += ['deep']\n");
  auto hosts = ReadSetupHosts(fs_, kWato);
  ASSERT_FALSE(hosts.ok());
  EXPECT_NE(hosts.error().message.find("too many folders below (a link loop?)"), std::string::npos)
      << hosts.error().message;
}

TEST_F(CheckmkWatoFsTest, RefusesSetupHostsWithHowToHandThemOver) {
  AddHostsMk("", "all_hosts += ['root.example.org']\n");
  AddHostsMk("servers/linux", "all_hosts += ['Web01.Example.org', 'db01.example.org']\n");
  auto refused = SetupManagedHosts(fs_, kWato,
                                   Hosts{{"web01.example.org", "x"},
                                         {"root.example.org", "x"},
                                         {"db01.example.org", std::nullopt},  // a removal
                                         {"new.example.org", "x"}});
  ASSERT_TRUE(refused.ok()) << refused.error().message;
  EXPECT_EQ(*refused,
            (std::map<std::string, std::string>{
                {"web01.example.org",
                 "host 'web01.example.org' is managed by Checkmk's Setup (folder "
                 "'servers/linux', as 'Web01.Example.org'), and automon never overrides a host "
                 "of Setup: to let automon manage it, delete it in Setup, activate the changes "
                 "and push again; to keep it in Setup, run 'automon-registrar remove "
                 "web01.example.org' on the registrar"},
                {"root.example.org",
                 "host 'root.example.org' is managed by Checkmk's Setup (the main folder), and "
                 "automon never overrides a host of Setup: to let automon manage it, delete it "
                 "in Setup, activate the changes and push again; to keep it in Setup, run "
                 "'automon-registrar remove root.example.org' on the registrar"}}));
}

TEST_F(CheckmkWatoFsTest, UnreadableSetupRefusesEverythingButRemovals) {
  AddHostsMk("", "all_hosts += ['a']\n");
  fs_.FailWith(kWato, EACCES);
  auto removals = SetupManagedHosts(fs_, kWato, Hosts{{"a", std::nullopt}});
  ASSERT_TRUE(removals.ok()) << removals.error().message;
  EXPECT_TRUE(removals->empty());
  auto refused = SetupManagedHosts(fs_, kWato, Hosts{{"b", "x"}});
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message,
            std::string("cannot tell which hosts Checkmk's Setup manages, and automon never "
                        "overrides a host of Setup: opendir(") +
                kWato + "): Permission denied (the registrar must be able to read " + kWato + ")");
}

}  // namespace
}  // namespace automon::registrar
