// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/agent.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <set>
#include <sstream>

#include "agent/command_context.h"
#include "agent/spool.h"
#include "agent/watch.h"
#include "backends/checkmk.h"
#include "backends/icinga2.h"
#include "backends/nagios.h"
#include "backends/plan.h"
#include "common/testing/fake_file_system.h"
#include "formats/results.h"
#include "formats/snapshot.h"

namespace automon::agent {
namespace {

// Answers every command with a scripted reply after running the host-key
// check the agent passes, with a fixed registrar fingerprint.
class FakeRemote : public Remote {
 public:
  explicit FakeRemote(std::vector<ssh::RemoteCommand>* calls, std::string* fingerprint,
                      std::map<std::string, std::string>* by_host,
                      std::function<ssh::RemoteResult(const ssh::RemoteCommand&)>* reply)
      : calls_(calls), fingerprint_(fingerprint), by_host_(by_host), reply_(reply) {}
  Result<ssh::RemoteResult> Run(const ssh::RemoteCommand& command,
                                const ssh::HostKeyCheck& check) override {
    const auto own = by_host_->find(command.host);
    const std::string& fingerprint = own != by_host_->end() ? own->second : *fingerprint_;
    if (auto ok = check(fingerprint); !ok) return ok.error();
    calls_->push_back(command);
    ssh::RemoteResult result = (*reply_)(command);
    result.server_fingerprint = fingerprint;
    return result;
  }

 private:
  std::vector<ssh::RemoteCommand>* calls_;
  std::string* fingerprint_;
  std::map<std::string, std::string>* by_host_;
  std::function<ssh::RemoteResult(const ssh::RemoteCommand&)>* reply_;
};

class FakeRemoteFactory : public RemoteFactory {
 public:
  Result<std::unique_ptr<Remote>> ForKey(const std::string& key_path) override {
    key_paths.push_back(key_path);
    return std::unique_ptr<Remote>(
        std::make_unique<FakeRemote>(&calls, &fingerprint, &by_host, &reply));
  }
  std::vector<std::string> key_paths;
  std::vector<ssh::RemoteCommand> calls;
  std::string fingerprint = "SHA256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
  std::map<std::string, std::string> by_host;  // a host's own key, else `fingerprint`
  std::function<ssh::RemoteResult(const ssh::RemoteCommand&)> reply =
      [](const ssh::RemoteCommand&) {
        return ssh::RemoteResult{0, "web: active\n", "", ""};
      };
};

// Answers Find() with a scripted list (or error), counting the calls.
class FakeDiscovery : public Discovery {
 public:
  Result<std::vector<avahi::Found>> Find(std::chrono::milliseconds timeout,
                                         const std::set<std::string>& pinned) override {
    timeouts.push_back(timeout);
    enough.push_back(pinned);
    if (error) return *error;
    return found;
  }
  std::vector<avahi::Found> found;
  std::optional<Error> error;
  std::vector<std::chrono::milliseconds> timeouts;
  std::vector<std::set<std::string>> enough;  // what each Find may stop early on
};

class AgentTest : public ::testing::Test {
 protected:
  AgentTest() {
    fs_.AddFile("/var/lib/dpkg/status", "Package: openssh-server\nStatus: install ok installed\n");
    fs_.AddFile("/mi/ssh", "[ssh]\ntype = ssh\npackage = openssh-server\n");
    fs_.AddFile("/mi/web",
                "[web]\ntype = http\npackage = apache2\nhostname = www.example.org\n"
                "[mail]\ntype = imap\nusername = probe\npassword = hunter2\n");
  }

  int Run(std::vector<std::string> args) {
    out_.str("");
    err_.str("");
    return RunAgent(args, env_);
  }

  testing::FakeFileSystem fs_;
  std::ostringstream out_;
  std::ostringstream err_;
  FakeRemoteFactory remotes_;
  FakeDiscovery discovery_;
  Environment env_{fs_,
                   out_,
                   err_,
                   [] { return std::string("host.example.org"); },
                   [] { return int64_t{1700000000}; },
                   remotes_,
                   discovery_};
};

TEST_F(AgentTest, CheckPrintsTableAndSummary) {
  EXPECT_EQ(Run({"check", "/mi"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "NAME  TYPE  TARGET                      SOURCE\n"
            "ssh   ssh   (this host):22              /mi/ssh:1\n"
            "web   http  http://www.example.org:80/  /mi/web:1\n"
            "mail  imap  (this host):143             /mi/web:5\n"
            "3 services in 2 files: 0 errors, 0 warnings\n");
  EXPECT_EQ(err_.str(), "");
}

TEST_F(AgentTest, CheckReportsErrorsAndStillListsValidServices) {
  fs_.AddFile("/mi/broken", "[bad]\ntype = http\nport = eighty\n[fine]\ntype = ssh\nport = 2222\n");
  EXPECT_EQ(Run({"check", "/mi"}), kExitErrors);
  EXPECT_NE(out_.str().find("fine  ssh   (this host):2222"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("4 services in 3 files: 1 error, 0 warnings"), std::string::npos);
  EXPECT_EQ(err_.str(),
            "/mi/broken:3:8: error: invalid value 'eighty' for 'port': expected a number from 1 "
            "to 65535\nport = eighty\n       ^\n");
}

TEST_F(AgentTest, CheckVerifiesTheProgramOfCommandServices) {
  fs_.AddFile("/usr/lib/nagios/plugins/check_disk", "");
  fs_.AddFile("/opt/x", "");
  fs_.AddFile("/opt/y", "");
  fs_.AddDirectory("/opt/dir");
  fs_.SetStatus("/opt/x", {true, 1000, 0755});
  fs_.SetStatus("/opt/y", {true, 0, 0775});
  fs_.AddFile("/mi/local",
              "[disk]\ntype = command\ncommand = /usr/lib/nagios/plugins/check_disk -w 10%\n"
              "[x]\ntype = command\ncommand = /opt/x\n"
              "[y]\ntype = command\ninterval = 60\ncommand   =  /opt/y -v\n"
              "[z]\ntype = command\ncommand = /opt/missing\n"
              "[d]\ntype = command\ncommand = /opt/dir\n");
  EXPECT_EQ(Run({"check", "/mi"}), kExitErrors);
  EXPECT_NE(out_.str().find("disk  command  /usr/lib/nagios/plugins/check_disk -w 10%"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(out_.str().find("8 services in 3 files: 4 errors, 0 warnings"), std::string::npos);
  EXPECT_EQ(err_.str(),
            "/mi/local:6:11: error: service 'x': invalid value '/opt/x' for 'command': program "
            "'/opt/x' is owned by uid 1000, not by root\ncommand = /opt/x\n          ^\n"
            "/mi/local:10:14: error: service 'y': invalid value '/opt/y -v' for 'command': "
            "program '/opt/y' is writable by group or others (mode 0775)\n"
            "command   =  /opt/y -v\n             ^\n"
            "/mi/local:13:11: error: service 'z': invalid value '/opt/missing' for 'command': "
            "program '/opt/missing' cannot be examined: stat(/opt/missing): No such file or "
            "directory\ncommand = /opt/missing\n          ^\n"
            "/mi/local:16:11: error: service 'd': invalid value '/opt/dir' for 'command': "
            "program '/opt/dir' is not a regular file\ncommand = /opt/dir\n          ^\n");
}

// The registrar's answer to `results`: every item with `status`, except
// the services in `refuse` (unknown service).
std::function<ssh::RemoteResult(const ssh::RemoteCommand&)> AnswerResults(
    std::set<std::string> refuse = {}) {
  return [refuse](const ssh::RemoteCommand& c) {
    if (c.command != "results") return ssh::RemoteResult{0, "ok\n", "", ""};
    auto batch = formats::ParseResults(c.input);
    if (!batch) return ssh::RemoteResult{2, "", batch.error().message, ""};
    std::vector<formats::ResultReply> replies;
    for (const auto& r : batch->results) {
      replies.push_back({r.sequence,
                         refuse.count(r.service) ? formats::ResultStatus::kUnknownService
                                                 : formats::ResultStatus::kAccepted,
                         refuse.count(r.service) ? "no such passive service" : ""});
    }
    return ssh::RemoteResult{0, formats::SerializeReplies(replies), "", ""};
  };
}

formats::PassiveResult MakeResult(std::string service, int64_t time, int state = 0) {
  formats::PassiveResult r;
  r.service = std::move(service);
  r.time = time;
  r.state = state;
  r.output = "OK";
  return r;
}

TEST_F(AgentTest, ResultsFlushDeliversTheInboxAndCountsPerRegistrar) {
  fs_.AddFile("/etc/automon/agent.conf",
              "[agent]\nregistrar = reg.example.org\nname = web01.example.org\n"
              "state_dir = /st\n");
  ASSERT_TRUE(WriteInbox(fs_, "/st", "1.1.1",
                         {"web01.example.org",
                          {MakeResult("disk", 1699999990, 2), MakeResult("disk", 1699999995, 0),
                           MakeResult("gone", 1699999995)}})
                  .ok());
  remotes_.reply = AnswerResults({"gone"});
  EXPECT_EQ(Run({"results-flush"}), kExitOk) << err_.str();
  ASSERT_EQ(remotes_.calls.size(), 1u);
  const auto sent = formats::ParseResults(remotes_.calls[0].input);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(remotes_.calls[0].command, "results");
  ASSERT_EQ(sent->results.size(), 2u);  // the older "disk" result never leaves
  EXPECT_EQ(sent->results[0].service, "disk");
  EXPECT_EQ(sent->results[0].state, 0);
  EXPECT_EQ(sent->results[1].service, "gone");
  EXPECT_GE(sent->results[0].sequence, 1700000000000000u);
  EXPECT_NE(err_.str().find("result for 'gone' refused: unknown-service"), std::string::npos)
      << err_.str();
  EXPECT_FALSE(fs_.files().count("/st/passive/inbox/1.1.1"));
  EXPECT_EQ(Run({"status"}), kExitOk);
  EXPECT_NE(out_.str().find("passive results: 0 queued, 1 sent, 1 dropped, 1 refused"),
            std::string::npos)
      << out_.str();
}

TEST_F(AgentTest, ResultsFlushSpoolsWhileTheRegistrarIsAway) {
  fs_.AddFile("/etc/automon/agent.conf",
              "[agent]\nregistrar = reg.example.org\nname = web01.example.org\n"
              "state_dir = /st\n");
  fs_.AddFile("/st/passive/freshness", "disk\t180\nautomon agent\t180\n");
  remotes_.reply = [](const ssh::RemoteCommand&) {
    return ssh::RemoteResult{255, "", "connection refused", ""};
  };
  ASSERT_TRUE(
      WriteInbox(fs_, "/st", "a", {"web01.example.org", {MakeResult("disk", 1699999990)}}).ok());
  EXPECT_EQ(Run({"results-flush"}), kExitErrors);
  EXPECT_NE(err_.str().find("results not delivered"), std::string::npos) << err_.str();
  ASSERT_TRUE(
      WriteInbox(fs_, "/st", "b", {"web01.example.org", {MakeResult("disk", 1699999999)}}).ok());
  EXPECT_EQ(Run({"results-flush"}), kExitErrors);
  EXPECT_EQ(remotes_.calls.size(), 1u) << "the second flush waits for the backoff";
  EXPECT_EQ(Run({"status"}), kExitOk);
  EXPECT_NE(out_.str().find("passive results: 1 queued, 0 sent, 1 dropped"), std::string::npos)
      << out_.str();
  // Back, after the backoff: the newest result only.
  fs_.AddFile("/st/passive/counts/reg.example.org_2222",
              "sent 0\ndropped 1\nrefused 0\nfailures 1\nnext_attempt 0\n");
  remotes_.reply = AnswerResults();
  EXPECT_EQ(Run({"results-flush"}), kExitOk) << err_.str();
  const auto sent = formats::ParseResults(remotes_.calls.back().input);
  ASSERT_TRUE(sent.ok());
  ASSERT_EQ(sent->results.size(), 1u);
  EXPECT_EQ(sent->results[0].time, 1699999999);
}

TEST_F(AgentTest, SendReportsEveryLineThatIsNotDelivered) {
  fs_.AddFile("/etc/automon/agent.conf",
              "[agent]\nregistrar = reg.example.org\nname = web01.example.org\n"
              "state_dir = /st\n");
  std::istringstream in(
      "web01.example.org\tbackup\t1\tBACKUP WARNING\\nlast: yesterday|age=30h\n"
      "other.example.org\tbackup\t0\tOK\n"
      "web01.example.org\t0\tUP\n"
      "\n"
      "web01.example.org\tnope\t0\tOK\n");
  env_.in = &in;
  remotes_.reply = AnswerResults({"nope"});
  EXPECT_EQ(Run({"send"}), kExitErrors);
  ASSERT_EQ(remotes_.calls.size(), 1u);
  const auto sent = formats::ParseResults(remotes_.calls[0].input);
  ASSERT_TRUE(sent.ok());
  ASSERT_EQ(sent->results.size(), 2u);
  EXPECT_EQ(sent->results[0].output, "BACKUP WARNING");
  EXPECT_EQ(sent->results[0].long_output, "last: yesterday");
  EXPECT_EQ(sent->results[0].perfdata, "age=30h");
  EXPECT_EQ(sent->results[0].state, 1);
  EXPECT_EQ(sent->results[0].time, 1700000000);
  EXPECT_NE(err_.str().find("line 2: result for host 'other.example.org'"), std::string::npos)
      << err_.str();
  EXPECT_NE(err_.str().find("line 3: "), std::string::npos);
  EXPECT_NE(err_.str().find("is a host result"), std::string::npos);
  EXPECT_NE(err_.str().find("line 5: reg.example.org:2222: 'nope' refused: unknown-service"),
            std::string::npos)
      << err_.str();
  // All good: exit 0; -d sets the delimiter.
  std::istringstream good("web01.example.org;backup;0;OK\n");
  env_.in = &good;
  EXPECT_EQ(Run({"send", "-d", ";"}), kExitOk) << err_.str();
  EXPECT_EQ(Run({"send", "-d"}), kExitUsage);
}

TEST_F(AgentTest, CheckUsesConfiguredDirectory) {
  fs_.AddFile("/etc/automon/agent.conf", "[agent]\ndirectory = /mi\n");
  EXPECT_EQ(Run({"check"}), kExitOk);
  EXPECT_NE(out_.str().find("3 services in 2 files"), std::string::npos);
}

TEST_F(AgentTest, MissingDirectoryIsAnError) {
  EXPECT_EQ(Run({"check", "/nope"}), kExitErrors);
  EXPECT_EQ(err_.str(), "automon-agent: error: opendir(/nope): No such file or directory\n");
  EXPECT_EQ(Run({"snapshot", "/nope", "--name", "h"}), kExitErrors);
  EXPECT_EQ(out_.str(), "") << "never an empty snapshot for an unreadable directory";
}

TEST_F(AgentTest, ShowRedactsSecretsAndExplainsInactive) {
  EXPECT_EQ(Run({"show", "/mi"}), kExitOk);
  const std::string out = out_.str();
  EXPECT_EQ(out.find("hunter2"), std::string::npos);
  EXPECT_NE(out.find("password = (secret)"), std::string::npos);
  EXPECT_NE(out.find("# /mi/ssh:1: registered\n[ssh]\n"), std::string::npos) << out;
  EXPECT_NE(out.find("# /mi/web:1: not registered: package apache2 is not installed\n[web]\n"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\n2 registered, 1 not registered\n"), std::string::npos) << out;
}

// Sets (or unsets) SOURCE_DATE_EPOCH for one test.
class ScopedSourceDateEpoch {
 public:
  explicit ScopedSourceDateEpoch(const char* value) {
    if (value == nullptr) {
      unsetenv("SOURCE_DATE_EPOCH");
    } else {
      setenv("SOURCE_DATE_EPOCH", value, 1);
    }
  }
  ~ScopedSourceDateEpoch() { unsetenv("SOURCE_DATE_EPOCH"); }
  ScopedSourceDateEpoch(const ScopedSourceDateEpoch&) = delete;
  ScopedSourceDateEpoch& operator=(const ScopedSourceDateEpoch&) = delete;
};

// A service whose password the renderers turn into a secret file.
constexpr std::string_view kLdapWithBind =
    "[dir]\ntype = ldap\nbase = dc=example,dc=org\nusername = cn=probe,dc=example,dc=org\n"
    "password = LdapS3cret\n";

// The snapshot `snapshot ARGS` prints, as the registrar parses it.
formats::Snapshot WireSnapshot(const std::string& text) {
  auto parsed = formats::ParseSnapshot(text, "stdout");
  EXPECT_TRUE(parsed.ok());
  return parsed.ok() ? parsed->snapshot : formats::Snapshot{};
}

TEST_F(AgentTest, ShowRenderNagiosIsTheRegistrarsFileForTheSnapshot) {
  ScopedSourceDateEpoch unset(nullptr);
  fs_.AddFile("/mi/ldap", std::string(kLdapWithBind));
  ASSERT_EQ(Run({"snapshot", "/mi", "--name", "h.example.org", "--generation", "9"}), kExitOk);
  const formats::Snapshot wire = WireSnapshot(out_.str());
  backends::NagiosRenderOptions options;
  options.generated_at = "2023-11-14T22:13:20Z";  // env_.now()
  auto expected = backends::NagiosRenderer(options).RenderHost(backends::PlanHost(wire, {}));
  ASSERT_TRUE(expected.ok());
  ASSERT_EQ(expected->secrets.size(), 1u) << "the ldap password is a secret file";

  EXPECT_EQ(
      Run({"show", "--render", "nagios", "/mi", "--name", "h.example.org", "--generation", "9"}),
      kExitOk);
  const std::string out = out_.str();
  EXPECT_EQ(err_.str(), "");
  EXPECT_TRUE(out.starts_with(
      "# automon-agent show --render nagios: what automon-registrar would write to\n"
      "# /etc/nagios4/conf.d/automon/" +
      backends::HostFileName("h.example.org") + " for this snapshot.\n"))
      << out;
  EXPECT_NE(out.find("\n#   secrets     /var/lib/automon/secrets (passwords by file name, never "
                     "shown)\n"),
            std::string::npos);
  EXPECT_NE(out.find("# Not registered: web (package-removed)\n"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with(expected->content)) << out;
  EXPECT_NE(out.find("at 2023-11-14T22:13:20Z"), std::string::npos);
  EXPECT_NE(out.find(expected->secrets[0].path), std::string::npos)
      << "the secret is referred to by its path";
  for (const std::string& text : {out, err_.str()}) {
    EXPECT_EQ(text.find("LdapS3cret"), std::string::npos) << "never the secret itself";
    EXPECT_EQ(text.find("hunter2"), std::string::npos);
  }
}

TEST_F(AgentTest, ShowRenderCheckmkIsTheRegistrarsFileForTheSnapshot) {
  ScopedSourceDateEpoch unset(nullptr);
  fs_.AddFile("/mi/ldap", std::string(kLdapWithBind));
  ASSERT_EQ(Run({"snapshot", "/mi", "--address", "192.0.2.7"}), kExitOk);
  const formats::Snapshot wire = WireSnapshot(out_.str());
  backends::CheckmkRenderOptions options;
  options.generated_at = "2023-11-14T22:13:20Z";
  auto expected = backends::CheckmkRenderer(options).RenderHost(backends::PlanHost(wire, {}));
  ASSERT_TRUE(expected.ok());
  ASSERT_EQ(expected->secrets.size(), 1u);

  EXPECT_EQ(Run({"show", "/mi", "--render=checkmk", "--address", "192.0.2.7"}), kExitOk);
  const std::string out = out_.str();
  EXPECT_TRUE(out.starts_with("# automon-agent show --render checkmk:")) << out;
  EXPECT_NE(out.find("# checkmk) would write to "
                     "/omd/sites/mysite/etc/check_mk/conf.d/automon/host.example.org.mk\n"),
            std::string::npos)
      << out;
  EXPECT_TRUE(out.ends_with(expected->content)) << out;
  EXPECT_NE(out.find("(generation 1700000000)"), std::string::npos) << "default: the clock";
  EXPECT_NE(out.find("192.0.2.7"), std::string::npos);
  EXPECT_NE(out.find(expected->secrets[0].path), std::string::npos);
  EXPECT_EQ(out.find("LdapS3cret"), std::string::npos);
  EXPECT_EQ(out.find("hunter2"), std::string::npos);
  EXPECT_EQ(err_.str(), "");
}

TEST_F(AgentTest, ShowRenderStillRendersTheValidServicesWhenSomeAreBroken) {
  ScopedSourceDateEpoch unset(nullptr);
  fs_.AddFile("/mi/broken",
              "[bad]\ntype = http\nport = eighty\n[fine]\ntype = ssh\nport = 2222\n"
              "[bad2]\ntype = ldap\nusername = x\npassword = hunter3\nport = 0\n");
  fs_.AddFile("/mi/ldap", std::string(kLdapWithBind));
  EXPECT_EQ(Run({"show", "--render", "nagios", "/mi"}), kExitErrors);
  EXPECT_NE(err_.str().find("/mi/broken:3:8: error: invalid value 'eighty'"), std::string::npos)
      << err_.str();
  EXPECT_NE(out_.str().find("service_description"), std::string::npos);
  EXPECT_NE(out_.str().find("automon_ssh!"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("!2222"), std::string::npos) << out_.str();
  EXPECT_NE(out_.str().find("/var/lib/automon/secrets/99/host.example.org@dir."),
            std::string::npos);
  EXPECT_EQ(out_.str().find("bad"), std::string::npos) << out_.str();
  for (const std::string& text : {out_.str(), err_.str()}) {
    EXPECT_EQ(text.find("LdapS3cret"), std::string::npos);
    EXPECT_EQ(text.find("hunter2"), std::string::npos);
    EXPECT_EQ(text.find("hunter3"), std::string::npos);
  }
}

TEST_F(AgentTest, ShowRenderSourceDateEpochPinsTimeAndGeneration) {
  ScopedSourceDateEpoch pinned("86400");
  EXPECT_EQ(Run({"show", "--render", "nagios", "/mi"}), kExitOk);
  EXPECT_NE(out_.str().find("from host host.example.org (generation 86400) at "
                            "1970-01-02T00:00:00Z.\n"),
            std::string::npos)
      << out_.str();
  EXPECT_EQ(Run({"show", "--render", "nagios", "/mi", "--generation", "3"}), kExitOk);
  EXPECT_NE(out_.str().find("(generation 3) at 1970-01-02T00:00:00Z.\n"), std::string::npos)
      << "--generation still wins";
}

TEST_F(AgentTest, ShowRenderBadSourceDateEpochIsAUsageError) {
  ScopedSourceDateEpoch pinned("yesterday");
  EXPECT_EQ(Run({"show", "--render", "nagios", "/mi"}), kExitUsage);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(),
            "automon-agent: invalid value 'yesterday' for SOURCE_DATE_EPOCH: "
            "expected seconds since the epoch\n");
}

TEST_F(AgentTest, ShowRenderIcinga2IsTheRegistrarsFileForTheSnapshot) {
  ScopedSourceDateEpoch unset(nullptr);
  fs_.AddFile("/mi/ldap", std::string(kLdapWithBind));
  ASSERT_EQ(Run({"snapshot", "/mi", "--address", "192.0.2.7"}), kExitOk);
  const formats::Snapshot wire = WireSnapshot(out_.str());
  backends::Icinga2Options options;
  options.generated_at = "2023-11-14T22:13:20Z";
  auto expected = backends::Icinga2Renderer(options).RenderHost(backends::PlanHost(wire, {}));
  ASSERT_TRUE(expected.ok());
  ASSERT_EQ(expected->secrets.size(), 1u);

  EXPECT_EQ(Run({"show", "/mi", "--render=icinga2", "--address", "192.0.2.7"}), kExitOk);
  const std::string out = out_.str();
  EXPECT_TRUE(out.starts_with("// automon-agent show --render icinga2:")) << out;
  EXPECT_NE(out.find("/etc/icinga2/conf.d/automon/hosts/"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with(expected->content)) << out;
  EXPECT_NE(out.find("object Host \"host.example.org\""), std::string::npos) << out;
  EXPECT_NE(out.find(expected->secrets[0].path), std::string::npos);
  EXPECT_EQ(out.find("LdapS3cret"), std::string::npos);
  EXPECT_EQ(err_.str(), "");
}

TEST_F(AgentTest, ShowRenderUsageErrors) {
  EXPECT_EQ(Run({"show", "--render", "icinga", "/mi"}), kExitUsage);
  EXPECT_EQ(out_.str(), "");
  // The list comes from the renderers registered (backends/renderers.h).
  EXPECT_TRUE(err_.str().starts_with(
      "automon-agent: invalid value 'icinga' for '--render': expected nagios"))
      << err_.str();
  EXPECT_NE(err_.str().find(" checkmk"), std::string::npos) << err_.str();
  EXPECT_NE(err_.str().find(" icinga2 or prometheus\n"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"show", "/mi", "--render"}), kExitUsage);
  EXPECT_EQ(err_.str(), "automon-agent: option '--render' needs a value\n");
  EXPECT_EQ(Run({"show", "/mi", "--name", "h"}), kExitUsage);
  EXPECT_EQ(err_.str(), "automon-agent: option '--name' applies to 'show --render' only\n");
  EXPECT_EQ(Run({"show", "--render", "nagios", "/mi", "--name", "bad name"}), kExitUsage);
  EXPECT_EQ(out_.str(), "");
}

TEST_F(AgentTest, ShowRenderRefusesWithoutPackageDatabase) {
  EXPECT_EQ(Run({"show", "--render", "checkmk", "/mi", "--dpkg-admindir", "/nope"}), kExitErrors);
  EXPECT_EQ(out_.str(), "");
  EXPECT_NE(err_.str().find("cannot evaluate 'package' conditions"), std::string::npos);
}

TEST_F(AgentTest, SnapshotIsTheParsableWireDocument) {
  EXPECT_EQ(Run({"snapshot", "/mi", "--name", "Web01.example.org", "--address=192.0.2.5",
                 "--generation", "9"}),
            kExitOk);
  auto parsed = formats::ParseSnapshot(out_.str(), "stdout");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const formats::Snapshot& s = parsed->snapshot;
  EXPECT_EQ(s.host, "web01.example.org");
  EXPECT_EQ(s.address, "192.0.2.5");
  EXPECT_EQ(s.generation, 9u);
  ASSERT_EQ(s.services.size(), 2u);
  EXPECT_EQ(s.services[0].name, "ssh");
  EXPECT_EQ(s.services[1].name, "mail");
  EXPECT_EQ(s.services[1].password->Reveal(), "hunter2") << "the wire document carries secrets";
  EXPECT_EQ(s.removed,
            (std::vector<formats::Removal>{{"web", formats::RemovalReason::kPackageRemoved}}));
}

TEST_F(AgentTest, SnapshotDefaultsToHostNameAndClock) {
  EXPECT_EQ(Run({"snapshot", "/mi"}), kExitOk);
  auto parsed = formats::ParseSnapshot(out_.str(), "stdout");
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->snapshot.host, "host.example.org");
  EXPECT_EQ(parsed->snapshot.generation, 1700000000u);
}

TEST_F(AgentTest, SnapshotRefusesWithoutPackageDatabase) {
  EXPECT_EQ(Run({"snapshot", "/mi", "--name", "h", "--dpkg-admindir", "/nope"}), kExitErrors);
  EXPECT_EQ(out_.str(), "");
  EXPECT_EQ(err_.str(),
            "automon-agent: error: cannot evaluate 'package' conditions: open(/nope/status): No "
            "such file or directory\n");
}

TEST_F(AgentTest, UsageErrors) {
  EXPECT_EQ(Run({}), kExitUsage);
  EXPECT_NE(err_.str().find("missing command"), std::string::npos);
  EXPECT_EQ(Run({"frobnicate"}), kExitUsage);
  EXPECT_NE(err_.str().find("unknown command 'frobnicate'"), std::string::npos);
  EXPECT_EQ(Run({"check", "a", "b"}), kExitUsage);
  EXPECT_EQ(err_.str(), "automon-agent: unexpected argument 'b'\n");
  EXPECT_EQ(Run({"check", "--name", "x"}), kExitUsage);
  EXPECT_EQ(err_.str(), "automon-agent: unknown option '--name'\n");
  EXPECT_EQ(Run({"snapshot", "/mi", "--name"}), kExitUsage);
  EXPECT_EQ(err_.str(), "automon-agent: option '--name' needs a value\n");
  EXPECT_EQ(Run({"snapshot", "/mi", "--name", "bad name"}), kExitUsage);
  EXPECT_EQ(err_.str(),
            "automon-agent: invalid value 'bad name' for '--name': expected a host name (RFC "
            "1123: letters, digits, '-' and '.') or an IPv4 address\n");
  EXPECT_EQ(Run({"snapshot", "/mi", "--name", "h", "--generation", "-1"}), kExitUsage);
  const std::string too_long = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                               std::string(63, 'c') + "." + std::string(60, 'd');
  EXPECT_EQ(Run({"snapshot", "/mi", "--name", too_long}), kExitUsage);
  EXPECT_EQ(err_.str(), "automon-agent: host name '" + too_long +
                            "' is 252 bytes long; a registered host name is at most 230 bytes "
                            "(the registrar's file names are made from it)\n");
  EXPECT_EQ(Run({"enroll", "--name", too_long}), kExitUsage);
  EXPECT_NE(err_.str().find("is 252 bytes long"), std::string::npos) << err_.str();
  EXPECT_EQ(Run({"--config", "/missing.conf", "check", "/mi"}), kExitErrors);
  EXPECT_EQ(err_.str(), "automon-agent: error: open(/missing.conf): No such file or directory\n");
}

TEST_F(AgentTest, EverySubcommandAnswersHelpWithItsOwnUsage) {
  for (const char* command : {"check", "show", "snapshot", "hello", "enroll", "push", "deregister",
                              "status", "run", "send", "results-flush"}) {
    for (const char* help : {"--help", "-h"}) {
      // Even after other arguments, and without reading a (broken) config.
      EXPECT_EQ(Run({"--config", "/missing.conf", command, "/mi", help}), kExitOk)
          << command << " " << help << ": " << err_.str();
      EXPECT_EQ(err_.str(), "") << command;
      EXPECT_TRUE(
          out_.str().starts_with(std::string("Usage: automon-agent [--config FILE] ") + command))
          << out_.str();
      EXPECT_EQ(out_.str().find("Commands:"), std::string::npos) << command;
    }
  }
  EXPECT_EQ(Run({"show", "--help"}), kExitOk);
  EXPECT_NE(out_.str().find("--render nagios|checkmk"), std::string::npos) << out_.str();
}

TEST_F(AgentTest, WarnsOnlyAboutServicesThatWouldBeRegistered) {
  fs_.AddFile("/mi/guac",
              "[guacamole]\ntype = guacamole\npackage = guacamole\n[g2]\ntype = guacamole\n"
              "enabled = false\n");
  const std::string warning = "has no 'password'";
  EXPECT_EQ(Run({"snapshot", "/mi"}), kExitOk) << err_.str();
  EXPECT_EQ(err_.str(), "") << "the package is absent, g2 disabled: no warning";
  EXPECT_NE(out_.str().find("guacamole = package-removed"), std::string::npos) << out_.str();
  EXPECT_EQ(Run({"show", "/mi"}), kExitOk);
  EXPECT_EQ(err_.str(), "");
  // `check` validates every definition, registered or not.
  EXPECT_EQ(Run({"check", "/mi"}), kExitOk);
  EXPECT_NE(err_.str().find("/mi/guac:1:1: warning: guacamole service 'guacamole' has no"),
            std::string::npos)
      << err_.str();
  EXPECT_NE(err_.str().find("/mi/guac:4:1: warning: guacamole service 'g2'"), std::string::npos);
  // Once the package is installed, the service is registered: warned.
  fs_.AddFile("/var/lib/dpkg/status",
              "Package: openssh-server\nStatus: install ok installed\n\n"
              "Package: guacamole\nStatus: install ok installed\n");
  EXPECT_EQ(Run({"snapshot", "/mi"}), kExitOk);
  EXPECT_NE(err_.str().find("/mi/guac:1:1: warning: guacamole service 'guacamole' has no"),
            std::string::npos)
      << err_.str();
  EXPECT_EQ(err_.str().find("'g2'"), std::string::npos) << err_.str();
}

TEST_F(AgentTest, BrokenConfigStopsTheCommand) {
  fs_.AddFile("/etc/automon/agent.conf", "[agent]\ndirectory = nope\n");
  EXPECT_EQ(Run({"check", "/mi"}), kExitErrors);
  EXPECT_EQ(out_.str(), "");
  EXPECT_NE(err_.str().find("/etc/automon/agent.conf:2:13: error: invalid value 'nope'"),
            std::string::npos);
}

class AgentNetworkTest : public AgentTest {
 protected:
  AgentNetworkTest() {
    fs_.AddFile("/etc/automon/agent.conf",
                "[agent]\nregistrar = mon1:2200\nname = web01.example.org\ndirectory = /mi\n"
                "state_dir = /var/lib/automon-agent\n");
  }
  std::string Registered() {
    auto text = fs_.ReadFile("/var/lib/automon-agent/registered/mon1_2200", 4096);
    return text ? *text : "(none)";
  }
};

TEST_F(AgentNetworkTest, EnrollWithNoRegistrarConfiguredFails) {
  fs_.AddFile("/etc/automon/agent.conf", "[agent]\ndirectory = /mi\nname = web01\n");
  EXPECT_EQ(Run({"enroll"}), kExitErrors);
  EXPECT_EQ(err_.str(),
            "automon-agent: error: enroll: enrolled nowhere: no registrar configured; set "
            "'registrar =' in /etc/automon/agent.conf\n");
  EXPECT_TRUE(remotes_.calls.empty());
}

TEST_F(AgentNetworkTest, NoRegistrarMeansNothingToDo) {
  fs_.AddFile("/etc/automon/agent.conf", "[agent]\ndirectory = /mi\n");
  EXPECT_EQ(Run({"push"}), kExitOk);
  EXPECT_EQ(out_.str(), "automon-agent: no registrar configured; nothing to do\n");
  EXPECT_TRUE(remotes_.calls.empty());
  EXPECT_TRUE(remotes_.key_paths.empty()) << "no key is even created";
  EXPECT_TRUE(discovery_.timeouts.empty()) << "no registrar key: no mDNS either";
}

class AgentDiscoveryTest : public AgentTest {
 protected:
  AgentDiscoveryTest() {
    fs_.AddFile("/etc/automon/agent.conf",
                "[agent]\nregistrar = auto\nname = web01.example.org\ndirectory = /mi\n"
                "state_dir = /var/lib/automon-agent\ndiscovery_timeout = 2\n");
  }
  avahi::Found Registrar(std::string address, int port, std::string fingerprint) {
    return {"automon registrar on " + address,
            "mon.local",
            address,
            port,
            {{"version", "1"}, {"fingerprint", fingerprint}, {"backend", "nagios"}}};
  }
};

TEST_F(AgentDiscoveryTest, PushesToEveryRegistrarFound) {
  discovery_.found = {Registrar("192.0.2.1", 2222, remotes_.fingerprint),
                      Registrar("192.0.2.2", 2300, remotes_.fingerprint)};
  EXPECT_EQ(Run({"push"}), kExitOk);
  EXPECT_EQ(discovery_.timeouts,
            (std::vector<std::chrono::milliseconds>{std::chrono::milliseconds(2000)}));
  ASSERT_EQ(remotes_.calls.size(), 2u);
  EXPECT_EQ(remotes_.calls[0].host, "192.0.2.1");
  EXPECT_EQ(remotes_.calls[0].port, 2222);
  EXPECT_EQ(remotes_.calls[1].host, "192.0.2.2");
  EXPECT_EQ(remotes_.calls[1].port, 2300);
  EXPECT_NE(out_.str().find("automon-agent: registrar = auto: found 192.0.2.1:2222 ('automon "
                            "registrar on 192.0.2.1'), 192.0.2.2:2300"),
            std::string::npos)
      << out_.str();
  EXPECT_NE(err_.str().find("trusting registrar 192.0.2.1:2222 on first use: " +
                            remotes_.fingerprint + " (as its mDNS announcement advertises)"),
            std::string::npos)
      << err_.str();
  EXPECT_EQ(*fs_.ReadFile("/var/lib/automon-agent/discovered", 100),
            "192.0.2.1 2222\n192.0.2.2 2300\n");
  // Nothing was pinned: that browse waited for everything; the next one
  // may end as soon as the pinned key has answered.
  EXPECT_EQ(discovery_.enough, (std::vector<std::set<std::string>>{{}}));
  EXPECT_EQ(Run({"push"}), kExitOk);
  EXPECT_EQ(discovery_.enough, (std::vector<std::set<std::string>>{{}, {remotes_.fingerprint}}));
}

TEST_F(AgentDiscoveryTest, AdvertisedFingerprintMismatchIsRefused) {
  discovery_.found = {
      Registrar("192.0.2.1", 2222, "SHA256:ddddddddddddddddddddddddddddddddddddddddddd")};
  EXPECT_EQ(Run({"push"}), kExitErrors);
  EXPECT_TRUE(remotes_.calls.empty());
  EXPECT_NE(err_.str().find("Registrar 192.0.2.1:2222 presented the key " + remotes_.fingerprint +
                            ", but its mDNS announcement advertises "
                            "SHA256:ddddddddddddddddddddddddddddddddddddddddddd"),
            std::string::npos)
      << err_.str();
  EXPECT_FALSE(fs_.ReadFile("/var/lib/automon-agent/known/192.0.2.1_2222", 100).ok());
}

TEST_F(AgentDiscoveryTest, PinWinsOverTheAdvertisedFingerprint) {
  // Pinned before; the announcement now advertises another key (a forged
  // announcement, or a lying one): the pin decides, not the hint.
  fs_.AddFile("/var/lib/automon-agent/known/192.0.2.1_2222", remotes_.fingerprint + "\n");
  discovery_.found = {
      Registrar("192.0.2.1", 2222, "SHA256:ddddddddddddddddddddddddddddddddddddddddddd")};
  EXPECT_EQ(Run({"push"}), kExitOk) << err_.str();
  EXPECT_EQ(remotes_.calls.size(), 1u);
}

TEST_F(AgentDiscoveryTest, PinnedRegistrarComesFirstAndItsKeyFollowsItToANewAddress) {
  // 192.0.2.1 has the pinned key too (the registrar moved, or a second
  // address of it): used, and its key remembered there as well.
  fs_.AddFile("/var/lib/automon-agent/known/192.0.2.9_2222", remotes_.fingerprint + "\n");
  discovery_.found = {Registrar("192.0.2.1", 2222, remotes_.fingerprint),
                      Registrar("192.0.2.9", 2222, remotes_.fingerprint)};
  discovery_.found[0].txt.erase("fingerprint");  // no hint: not known to be pinned before
  EXPECT_EQ(Run({"push"}), kExitOk) << err_.str();
  ASSERT_EQ(remotes_.calls.size(), 2u);
  EXPECT_EQ(remotes_.calls[0].host, "192.0.2.9");
  EXPECT_EQ(remotes_.calls[1].host, "192.0.2.1");
  EXPECT_EQ(*fs_.ReadFile("/var/lib/automon-agent/known/192.0.2.1_2222", 100),
            remotes_.fingerprint + "\n");
  EXPECT_EQ(err_.str().find("first use"), std::string::npos) << err_.str();
}

constexpr char kRogueKey[] = "SHA256:rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr";

TEST_F(AgentDiscoveryTest, UnpinnedRegistrarIsNotContactedOnceOneIsPinned) {
  fs_.AddFile("/var/lib/automon-agent/known/192.0.2.9_2222", remotes_.fingerprint + "\n");
  remotes_.by_host["192.0.2.66"] = kRogueKey;
  discovery_.found = {Registrar("192.0.2.66", 2222, kRogueKey),
                      Registrar("192.0.2.9", 2222, remotes_.fingerprint)};
  EXPECT_EQ(Run({"push"}), kExitOk) << err_.str();
  ASSERT_EQ(remotes_.calls.size(), 1u);
  EXPECT_EQ(remotes_.calls[0].host, "192.0.2.9");
  EXPECT_EQ(out_.str().substr(0, out_.str().find('\n') + 1),
            "automon-agent: registrar = auto: found 192.0.2.9:2222 ('automon registrar on "
            "192.0.2.9'); not using 192.0.2.66:2222 ('automon registrar on 192.0.2.66', key " +
                std::string(kRogueKey) +
                "): not pinned (see 'fingerprint =' in automon-agent(8))\n");
  EXPECT_FALSE(fs_.ReadFile("/var/lib/automon-agent/known/192.0.2.66_2222", 100).ok());
}

TEST_F(AgentDiscoveryTest, UnpinnedKeyIsRefusedBeforeAuthenticationEvenWhenItLiesInTxt) {
  // The rogue copies the real registrar's fingerprint into its TXT
  // record: it is contacted, but its own key is refused before anything
  // is sent.
  fs_.AddFile("/var/lib/automon-agent/known/192.0.2.9_2222", remotes_.fingerprint + "\n");
  remotes_.by_host["192.0.2.66"] = kRogueKey;
  discovery_.found = {Registrar("192.0.2.66", 2222, remotes_.fingerprint),
                      Registrar("192.0.2.9", 2222, remotes_.fingerprint)};
  EXPECT_EQ(Run({"push"}), kExitErrors);
  ASSERT_EQ(remotes_.calls.size(), 1u);
  EXPECT_EQ(remotes_.calls[0].host, "192.0.2.9");
  EXPECT_NE(err_.str().find("automon-agent: 192.0.2.66:2222: registrar 192.0.2.66:2222 (found "
                            "over mDNS) has the key " +
                            std::string(kRogueKey) + ", which is not pinned; not used"),
            std::string::npos)
      << err_.str();
  EXPECT_FALSE(fs_.ReadFile("/var/lib/automon-agent/known/192.0.2.66_2222", 100).ok());
}

TEST_F(AgentDiscoveryTest, ConfiguredFingerprintsAreTheOnlyKeysForDiscoveredRegistrars) {
  const std::string second = "SHA256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  fs_.AddFile("/etc/automon/agent.conf",
              "[agent]\nregistrar = auto\nname = web01.example.org\ndirectory = /mi\n"
              "fingerprint = " +
                  remotes_.fingerprint + " " + second + "\n");
  remotes_.by_host["192.0.2.2"] = second;
  remotes_.by_host["192.0.2.66"] = kRogueKey;
  discovery_.found = {Registrar("192.0.2.1", 2222, remotes_.fingerprint),
                      Registrar("192.0.2.2", 2222, second),
                      Registrar("192.0.2.66", 2222, kRogueKey)};
  EXPECT_EQ(Run({"push"}), kExitOk) << err_.str();
  ASSERT_EQ(remotes_.calls.size(), 2u);
  EXPECT_EQ(remotes_.calls[0].host, "192.0.2.1");
  EXPECT_EQ(remotes_.calls[1].host, "192.0.2.2");
  EXPECT_NE(out_.str().find("not using 192.0.2.66:2222"), std::string::npos) << out_.str();
  // The browse waits for both configured keys, not for the first to answer.
  EXPECT_EQ(discovery_.enough,
            (std::vector<std::set<std::string>>{{remotes_.fingerprint, second}}));
}

TEST_F(AgentDiscoveryTest, OnlyUnpinnedRegistrarsAnnouncedFallsBackToThePinnedOnes) {
  fs_.AddFile("/var/lib/automon-agent/discovered", "192.0.2.9 2222\n");
  fs_.AddFile("/var/lib/automon-agent/known/192.0.2.9_2222", remotes_.fingerprint + "\n");
  remotes_.by_host["192.0.2.66"] = kRogueKey;
  discovery_.found = {Registrar("192.0.2.66", 2222, kRogueKey)};
  EXPECT_EQ(Run({"push"}), kExitOk) << err_.str();
  ASSERT_EQ(remotes_.calls.size(), 1u);
  EXPECT_EQ(remotes_.calls[0].host, "192.0.2.9");
  EXPECT_NE(out_.str().find("no registrar with a pinned key announced _automon._tcp; not using "
                            "192.0.2.66:2222"),
            std::string::npos)
      << out_.str();
}

TEST_F(AgentDiscoveryTest, ControlCharactersInAnnouncementsAreNotPrinted) {
  discovery_.found = {Registrar("192.0.2.1", 2222, remotes_.fingerprint)};
  discovery_.found[0].name = "evil\nautomon-agent: all fine\x1b[2J";
  EXPECT_EQ(Run({"push"}), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("('evil?automon-agent: all fine?[2J')"), std::string::npos)
      << out_.str();
  discovery_.found[0].txt["version"] = "9\n\x07";
  EXPECT_EQ(Run({"push"}), kExitOk) << err_.str();
  EXPECT_NE(out_.str().find("speaks protocol version 9??"), std::string::npos) << out_.str();
}

TEST_F(AgentDiscoveryTest, TicketGoesToTheOnlyRegistrarFoundOnFirstContact) {
  discovery_.found = {Registrar("192.0.2.1", 2222, remotes_.fingerprint)};
  EXPECT_EQ(Run({"enroll", "--ticket", "T-1"}), kExitOk) << err_.str();
  ASSERT_EQ(remotes_.calls.size(), 1u);
  EXPECT_EQ(remotes_.calls[0].input, "T-1");
}

TEST_F(AgentDiscoveryTest, TicketIsNotSentWhenSeveralUnpinnedRegistrarsAnswer) {
  remotes_.by_host["192.0.2.66"] = kRogueKey;
  discovery_.found = {Registrar("192.0.2.1", 2222, remotes_.fingerprint),
                      Registrar("192.0.2.66", 2222, kRogueKey)};
  EXPECT_EQ(Run({"enroll", "--ticket", "T-1"}), kExitErrors);
  EXPECT_TRUE(remotes_.calls.empty());
  EXPECT_TRUE(remotes_.key_paths.empty()) << "not even connected";
  EXPECT_NE(err_.str().find("automon-agent: error: enroll --ticket: 2 registrars announced "
                            "themselves (192.0.2.1:2222, 192.0.2.66:2222) and none is pinned; "
                            "the ticket is not sent to any."),
            std::string::npos)
      << err_.str();
  EXPECT_FALSE(fs_.ReadFile("/var/lib/automon-agent/known/192.0.2.66_2222", 100).ok());
  // Without a ticket both may be pinned together (a redundant pair).
  EXPECT_EQ(Run({"enroll"}), kExitOk) << err_.str();
  EXPECT_EQ(remotes_.calls.size(), 2u);
}

TEST_F(AgentDiscoveryTest, TicketGoesOnlyToPinnedRegistrarsOnceOneIsPinned) {
  fs_.AddFile("/var/lib/automon-agent/known/192.0.2.9_2222", remotes_.fingerprint + "\n");
  remotes_.by_host["192.0.2.66"] = kRogueKey;
  // The rogue lies in TXT, so it is contacted; its key is refused before
  // authentication, so before the ticket.
  discovery_.found = {Registrar("192.0.2.9", 2222, remotes_.fingerprint),
                      Registrar("192.0.2.66", 2222, remotes_.fingerprint)};
  EXPECT_EQ(Run({"enroll", "--ticket", "T-1"}), kExitErrors);
  ASSERT_EQ(remotes_.calls.size(), 1u);
  EXPECT_EQ(remotes_.calls[0].host, "192.0.2.9");
  EXPECT_EQ(remotes_.calls[0].input, "T-1");
}

TEST_F(AgentDiscoveryTest, NoAvahiDaemonSaysSoAndStaysQuiet) {
  discovery_.error = Error{"avahi-daemon is not reachable: Daemon not running", avahi::kNoDaemon};
  EXPECT_EQ(Run({"push"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "automon-agent: registrar = auto: avahi-daemon is not reachable: Daemon not running; "
            "nothing to do until one is found or set in agent.conf\n");
  EXPECT_EQ(err_.str(), "");
  EXPECT_TRUE(remotes_.key_paths.empty());
}

TEST_F(AgentDiscoveryTest, NothingAnnouncedSaysSo) {
  EXPECT_EQ(Run({"push"}), kExitOk);
  EXPECT_EQ(out_.str(),
            "automon-agent: registrar = auto: no registrar announced _automon._tcp (waited at "
            "most 2 s); nothing to do until one is found or set in agent.conf\n");
  EXPECT_TRUE(remotes_.calls.empty());
}

TEST_F(AgentDiscoveryTest, EnrollThatFindsNoRegistrarFails) {
  EXPECT_EQ(Run({"enroll", "--ticket", "T-1"}), kExitErrors);
  EXPECT_EQ(err_.str(),
            "automon-agent: error: enroll: enrolled nowhere: no registrar configured and none "
            "announced over mDNS; set 'registrar =' in /etc/automon/agent.conf or start a "
            "registrar that announces itself\n");
  EXPECT_TRUE(remotes_.calls.empty());
  discovery_.error = Error{"avahi-daemon is not reachable: Daemon not running", avahi::kNoDaemon};
  EXPECT_EQ(Run({"enroll"}), kExitErrors);
  EXPECT_NE(err_.str().find("enrolled nowhere"), std::string::npos) << err_.str();
  // push keeps its documented quiet answer.
  EXPECT_EQ(Run({"push"}), kExitOk);
  EXPECT_EQ(err_.str(), "");
}

TEST_F(AgentDiscoveryTest, PinnedRegistrarFoundBeforeIsTriedWhenNothingAnswers) {
  fs_.AddFile("/var/lib/automon-agent/discovered", "192.0.2.1 2222\n192.0.2.5 2222\n");
  fs_.AddFile("/var/lib/automon-agent/known/192.0.2.1_2222", remotes_.fingerprint + "\n");
  discovery_.error = Error{"avahi-daemon is not reachable: Daemon not running", avahi::kNoDaemon};
  EXPECT_EQ(Run({"push"}), kExitOk) << err_.str();
  ASSERT_EQ(remotes_.calls.size(), 1u) << "192.0.2.5 was never pinned: not without mDNS";
  EXPECT_EQ(remotes_.calls[0].host, "192.0.2.1");
  EXPECT_NE(out_.str().find("trying the registrars pinned before"), std::string::npos)
      << out_.str();
}

TEST_F(AgentDiscoveryTest, StatusListsTheRegistrarsFoundBeforeWithoutBrowsing) {
  discovery_.found = {Registrar("192.0.2.1", 2222, remotes_.fingerprint)};
  ASSERT_EQ(Run({"push"}), kExitOk);
  discovery_.timeouts.clear();
  EXPECT_EQ(Run({"status"}), kExitOk);
  EXPECT_TRUE(discovery_.timeouts.empty()) << "status reads state only";
  EXPECT_EQ(out_.str(), "192.0.2.1:2222: key " + remotes_.fingerprint +
                            " (trusted on first use)\nexit = 0\nweb: active\n");
}

TEST_F(AgentDiscoveryTest, OtherProtocolVersionIsSkipped) {
  discovery_.found = {Registrar("192.0.2.1", 2222, remotes_.fingerprint)};
  discovery_.found[0].txt["version"] = "2";
  EXPECT_EQ(Run({"push"}), kExitOk);
  EXPECT_TRUE(remotes_.calls.empty());
  EXPECT_NE(out_.str().find("speaks protocol version 2, this agent version 1; skipped"),
            std::string::npos)
      << out_.str();
}

TEST_F(AgentDiscoveryTest, ConfiguredAndDiscoveredAreBothUsedOnce) {
  fs_.AddFile("/etc/automon/agent.conf",
              "[agent]\nregistrar = 192.0.2.1 auto\nname = web01.example.org\ndirectory = /mi\n"
              "state_dir = /var/lib/automon-agent\n");
  discovery_.found = {Registrar("192.0.2.1", 2222, remotes_.fingerprint),
                      Registrar("192.0.2.2", 2222, remotes_.fingerprint)};
  EXPECT_EQ(Run({"push"}), kExitOk);
  ASSERT_EQ(remotes_.calls.size(), 2u);
  EXPECT_EQ(remotes_.calls[0].host, "192.0.2.1");
  EXPECT_EQ(remotes_.calls[1].host, "192.0.2.2");
}

TEST_F(AgentNetworkTest, PushSendsTheSnapshotAndRemembersTheRegistrar) {
  EXPECT_EQ(Run({"push"}), kExitOk);
  ASSERT_EQ(remotes_.calls.size(), 1u);
  const ssh::RemoteCommand& call = remotes_.calls[0];
  EXPECT_EQ(call.host, "mon1");
  EXPECT_EQ(call.port, 2200);
  EXPECT_EQ(call.user, "automon");
  EXPECT_EQ(call.command, "register");
  auto sent = formats::ParseSnapshot(call.input, "sent");
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(sent->snapshot.host, "web01.example.org");
  EXPECT_EQ(sent->snapshot.services.size(), 2u);
  EXPECT_EQ(remotes_.key_paths, (std::vector<std::string>{"/etc/automon/agent_key"}));
  EXPECT_EQ(out_.str(), "mon1:2200: web: active\n");
  EXPECT_EQ(err_.str(), "automon-agent: trusting registrar mon1:2200 on first use: " +
                            remotes_.fingerprint + "\n");
  EXPECT_EQ(*fs_.ReadFile("/var/lib/automon-agent/known/mon1_2200", 100),
            remotes_.fingerprint + "\n");
  EXPECT_EQ(Registered(), "ssh\t/mi/ssh\nmail\t/mi/web\n");
  EXPECT_EQ(*fs_.ReadFile("/var/lib/automon-agent/reports/mon1_2200", 100),
            "exit = 0\nweb: active\n");
}

TEST_F(AgentNetworkTest, ARegistrarsAnswerIsPrintedWithControlsMasked) {
  remotes_.reply = [](const ssh::RemoteCommand&) {
    return ssh::RemoteResult{0,
                             "web: active\x1b]0;owned\x07\nmail: act\xE2\x80\xAE"
                             "evit\xE2\x80\xA8x",
                             "why\r", ""};
  };
  EXPECT_EQ(Run({"push"}), kExitOk);
  EXPECT_EQ(out_.str(), "mon1:2200: web: active?]0;owned?\nmail: act???evit???x\n");
  EXPECT_NE(err_.str().find("mon1:2200: why?\n"), std::string::npos) << err_.str();
  // The stored report, as `status` shows it.
  EXPECT_EQ(Run({"status"}), kExitOk);
  EXPECT_NE(out_.str().find("web: active?]0;owned?\nmail: act???evit???x"), std::string::npos)
      << out_.str();
}

TEST_F(AgentNetworkTest, DeletedServiceIsNamedInTheNextPush) {
  ASSERT_EQ(Run({"push"}), kExitOk);
  fs_.AddFile("/mi/web", "# mail removed\n");
  ASSERT_EQ(Run({"push"}), kExitOk);
  ASSERT_EQ(remotes_.calls.size(), 2u);
  auto sent = formats::ParseSnapshot(remotes_.calls[1].input, "sent");
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  EXPECT_EQ(sent->snapshot.removed,
            (std::vector<formats::Removal>{{"mail", formats::RemovalReason::kDeleted}}));
  EXPECT_EQ(Registered(), "ssh\t/mi/ssh\n");
}

TEST_F(AgentNetworkTest, BrokenOrUnreadableDefinitionIsNotADeletion) {
  ASSERT_EQ(Run({"push"}), kExitOk);
  // A typo in the file that holds [mail]: the section no longer parses,
  // but it was not deleted, so it must not be removed on the registrar.
  fs_.AddFile("/mi/web", "[mail]\ntype = imap\nusername = probe\npassword = x\nprot = 1\n");
  EXPECT_EQ(Run({"push"}), kExitErrors);
  auto sent = formats::ParseSnapshot(remotes_.calls.back().input, "sent");
  ASSERT_TRUE(sent.ok());
  EXPECT_TRUE(sent->snapshot.removed.empty());
  EXPECT_NE(err_.str().find("service 'mail' is not sent: its file has errors"), std::string::npos)
      << err_.str();
  // An unreadable file: the same.
  fs_.AddFile("/mi/web", "[mail]\ntype = imap\nusername = probe\npassword = x\n");
  fs_.FailWith("/mi/web", EACCES);
  EXPECT_EQ(Run({"push"}), kExitErrors);
  sent = formats::ParseSnapshot(remotes_.calls.back().input, "sent");
  ASSERT_TRUE(sent.ok());
  EXPECT_TRUE(sent->snapshot.removed.empty());
  EXPECT_EQ(Registered(), "ssh\t/mi/ssh\nmail\t/mi/web\n") << "still known as registered";
}

TEST_F(AgentNetworkTest, GenerationGrowsWhenTheClockStepsBack) {
  ASSERT_EQ(Run({"push"}), kExitOk);
  ASSERT_EQ(Run({"push"}), kExitOk);  // same clock reading
  auto first = formats::ParseSnapshot(remotes_.calls[0].input, "1");
  auto second = formats::ParseSnapshot(remotes_.calls[1].input, "2");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->snapshot.generation, 1700000000u);
  EXPECT_EQ(second->snapshot.generation, 1700000001u);
}

TEST_F(AgentNetworkTest, UnreadablePinRefusesInsteadOfTrustingAgain) {
  ASSERT_EQ(Run({"hello"}), kExitOk);
  fs_.FailWith("/var/lib/automon-agent/known/mon1_2200", EACCES);
  remotes_.fingerprint = "SHA256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  EXPECT_EQ(Run({"push"}), kExitErrors);
  EXPECT_EQ(remotes_.calls.size(), 1u);
  EXPECT_NE(err_.str().find("Permission denied"), std::string::npos) << err_.str();
}

TEST_F(AgentNetworkTest, RefusedSnapshotKeepsTheLastAcceptedList) {
  ASSERT_EQ(Run({"push"}), kExitOk);
  remotes_.reply = [](const ssh::RemoteCommand&) {
    return ssh::RemoteResult{2, "", "refused: quarantined\n", ""};
  };
  fs_.AddFile("/mi/web", "# mail removed\n");
  EXPECT_EQ(Run({"push"}), kExitErrors);
  EXPECT_EQ(err_.str(), "mon1:2200: refused: quarantined\n");
  EXPECT_EQ(Registered(), "ssh\t/mi/ssh\nmail\t/mi/web\n")
      << "the deletion must be sent again next time";
}

TEST_F(AgentNetworkTest, ChangedRegistrarKeyIsRefusedBeforeAnythingIsSent) {
  ASSERT_EQ(Run({"hello"}), kExitOk);
  const std::string first = remotes_.fingerprint;
  remotes_.fingerprint = "SHA256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
  EXPECT_EQ(Run({"push"}), kExitErrors);
  EXPECT_EQ(remotes_.calls.size(), 1u) << "only the first hello went through";
  EXPECT_NE(err_.str().find("WARNING: THE IDENTIFICATION OF REGISTRAR mon1:2200 HAS CHANGED!"),
            std::string::npos)
      << err_.str();
  EXPECT_NE(
      err_.str().find("but the key pinned in /var/lib/automon-agent/known/mon1_2200 is   " + first),
      std::string::npos)
      << err_.str();
}

TEST_F(AgentNetworkTest, ConfiguredFingerprintIsStrictFromTheStart) {
  fs_.AddFile("/etc/automon/agent.conf",
              "[agent]\nregistrar = mon1:2200\ndirectory = /mi\n"
              "fingerprint = SHA256:ccccccccccccccccccccccccccccccccccccccccccc\n");
  EXPECT_EQ(Run({"push", "--dpkg-admindir", "/var/lib/dpkg"}), kExitErrors);
  EXPECT_TRUE(remotes_.calls.empty());
  EXPECT_NE(err_.str().find("set 'fingerprint = " + remotes_.fingerprint +
                            "' in /etc/automon/agent.conf"),
            std::string::npos)
      << err_.str();
  EXPECT_FALSE(fs_.ReadFile("/var/lib/automon-agent/known/mon1_2200", 100).ok())
      << "a pinned registrar is never trusted on first use";
}

TEST_F(AgentNetworkTest, EnrollSendsNameAndTicket) {
  EXPECT_EQ(Run({"enroll", "--ticket", "T0k3n"}), kExitOk);
  ASSERT_EQ(remotes_.calls.size(), 1u);
  EXPECT_EQ(remotes_.calls[0].command, "enroll web01.example.org");
  EXPECT_EQ(remotes_.calls[0].input, "T0k3n");
  remotes_.reply = [](const ssh::RemoteCommand&) {
    return ssh::RemoteResult{1, "web01.example.org waits for an administrator\n", "", ""};
  };
  EXPECT_EQ(Run({"enroll"}), kExitErrors);
  EXPECT_EQ(out_.str(), "mon1:2200: web01.example.org waits for an administrator\n");
}

TEST_F(AgentNetworkTest, StatusShowsKeyAndLastReport) {
  EXPECT_EQ(Run({"status"}), kExitOk);
  EXPECT_EQ(out_.str(), "mon1:2200: key not seen yet\nnever pushed\n");
  ASSERT_EQ(Run({"push"}), kExitOk);
  EXPECT_EQ(Run({"status"}), kExitOk);
  EXPECT_EQ(out_.str(), "mon1:2200: key " + remotes_.fingerprint +
                            " (trusted on first use)\nexit = 0\nweb: active\n");
}

TEST(RetryDelayTest, DoublesUpToTheCapWithJitter) {
  using std::chrono::milliseconds;
  const milliseconds base(1000), max(8000);
  EXPECT_EQ(RetryDelay(1, base, max, 0.5), milliseconds(1000));
  EXPECT_EQ(RetryDelay(2, base, max, 0.5), milliseconds(2000));
  EXPECT_EQ(RetryDelay(4, base, max, 0.5), milliseconds(8000));
  EXPECT_EQ(RetryDelay(30, base, max, 0.5), milliseconds(8000)) << "capped";
  EXPECT_EQ(RetryDelay(1, base, max, 0.0), milliseconds(500));
  EXPECT_EQ(RetryDelay(1, base, max, 0.999), milliseconds(1499));
}

TEST_F(AgentTest, HelpAndVersion) {
  EXPECT_EQ(Run({"--help"}), kExitOk);
  EXPECT_EQ(out_.str(), Usage());
  EXPECT_EQ(Run({"-V"}), kExitOk);
  EXPECT_EQ(out_.str(), "automon-agent 0.1.0\n");
}

}  // namespace
}  // namespace automon::agent
