// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/ssh/server.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/ssh/client.h"
#include "common/testing/temp_dir.h"
#include "common/unique_fd.h"

namespace automon::registrar::ssh {
namespace {

using namespace std::chrono_literals;

// Records every request and answers with a fixed reply.
class FakeHandler : public Handler {
 public:
  bool AcceptsKey(const std::string& fingerprint) override {
    std::lock_guard lock(mutex_);
    return accepted_.count(fingerprint) != 0;
  }
  Admission Admit(const Request& request) override {
    std::lock_guard lock(mutex_);
    if (request.verb == "deregister") return {0, Reply{2, "", "refused at once\n"}, UniqueFd()};
    auto it = input_limits_.find(request.verb);
    UniqueFd arriving;
    if (hold_) {
      // The write end of a pipe: its read end sees end-of-file once the
      // server has closed the hold.
      int fds[2];
      if (::pipe(fds) == 0) {
        hold_read_.Reset(fds[0]);
        arriving.Reset(fds[1]);
      }
    }
    return {it == input_limits_.end() ? SIZE_MAX : it->second, std::nullopt, std::move(arriving)};
  }
  void Hold() {
    std::lock_guard lock(mutex_);
    hold_ = true;
  }
  // Whether Handle found the Admission's hold closed already (-1: no hold).
  int hold_closed_in_handle() {
    std::lock_guard lock(mutex_);
    return hold_closed_in_handle_;
  }
  void LimitInput(const std::string& verb, size_t bytes) {
    std::lock_guard lock(mutex_);
    input_limits_[verb] = bytes;
  }
  Reply Handle(const Request& request) override {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
    if (hold_read_.valid()) {
      pollfd p{hold_read_.get(), POLLIN, 0};
      char byte;
      hold_closed_in_handle_ =
          ::poll(&p, 1, 0) == 1 && ::read(hold_read_.get(), &byte, 1) == 0 ? 1 : 0;
    }
    return {request.verb == "hello" ? 0 : 1, "out:" + request.input, "err:" + request.verb};
  }
  void Accept(const std::string& fingerprint) {
    std::lock_guard lock(mutex_);
    accepted_.insert(fingerprint);
  }
  std::vector<Request> requests() {
    std::lock_guard lock(mutex_);
    return requests_;
  }

 private:
  std::mutex mutex_;
  std::set<std::string> accepted_;
  std::map<std::string, size_t> input_limits_;
  std::vector<Request> requests_;
  bool hold_ = false;
  UniqueFd hold_read_;
  int hold_closed_in_handle_ = -1;
};

// A TCP connection to 127.0.0.1:port from the address `from` (any of
// 127.0.0.0/8), which then says nothing.
UniqueFd ConnectFrom(const char* from, int port) {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in local{};
  local.sin_family = AF_INET;
  ::inet_pton(AF_INET, from, &local.sin_addr);
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) return {};
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return {};
  return fd;
}

// Lines the server logged.
class LogLines {
 public:
  std::function<void(const std::string&)> Sink() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex_);
      lines_.push_back(line);
    };
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// Runs a shell command, returning its exit status and combined output.
std::pair<int, std::string> Shell(const std::string& command) {
  std::string out;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return {-1, ""};
  std::array<char, 4096> buffer;
  size_t n;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) out.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

class SshServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = temp_.path();
    auto host = automon::ssh::GenerateEd25519();
    ASSERT_TRUE(host.ok());
    host_key_ = std::move(*host);
    host_fingerprint_ = *automon::ssh::Fingerprint(host_key_);
    // The client key is written with ssh-keygen so that OpenSSH's client
    // can use the very same key.
    key_path_ = dir_ + "/client";
    ASSERT_EQ(std::system(("ssh-keygen -q -t ed25519 -N '' -C test -f " + key_path_).c_str()), 0);
    bool created = false;
    RealFileSystem fs;
    auto client = automon::ssh::LoadOrCreate(fs, key_path_, &created);
    ASSERT_TRUE(client.ok()) << client.error().message;
    client_key_ = std::move(*client);
    client_fingerprint_ = *automon::ssh::Fingerprint(client_key_);
  }

  void Start(Limits limits = {}) {
    Options options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.limits = limits;
    options.log = log_.Sink();
    auto server = Server::Listen(options, host_key_, handler_);
    ASSERT_TRUE(server.ok()) << server.error().message;
    server_ = std::move(*server);
    thread_ = std::thread([this] { server_->Serve(); });
  }

  void TearDown() override {
    if (server_) {
      server_->Stop();
      thread_.join();
    }
  }

  Result<automon::ssh::RemoteResult> Run(const std::string& command, const std::string& input,
                                         std::chrono::milliseconds timeout = 10s) {
    automon::ssh::RemoteCommand rc{"127.0.0.1", server_->port(), "automon",
                                   command,     input,           timeout};
    return automon::ssh::RunRemote(rc, client_key_, [&](const std::string& fingerprint) {
      if (fingerprint == host_fingerprint_) return Result<void>();
      return Result<void>(Error{"unexpected host key " + fingerprint});
    });
  }

  // The OpenSSH client, with nothing from ~/.ssh and a fixed key.
  std::string Ssh(const std::string& extra) {
    return "timeout 20 ssh -F none -o BatchMode=yes -o StrictHostKeyChecking=no "
           "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o IdentitiesOnly=yes -i " +
           key_path_ + " -p " + std::to_string(server_->port()) + " " + extra;
  }

  automon::testing::ScopedTempDir temp_;
  std::string dir_;
  automon::ssh::Key host_key_;
  std::string host_fingerprint_;
  std::string key_path_;
  automon::ssh::Key client_key_;
  std::string client_fingerprint_;
  FakeHandler handler_;
  LogLines log_;
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

TEST_F(SshServerTest, RunsAnAllowedCommandWithItsInput) {
  handler_.Accept(client_fingerprint_);
  Start();
  auto result = Run("register --host web01", "snapshot bytes\n");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_status, 1);
  EXPECT_EQ(result->out, "out:snapshot bytes\n");
  EXPECT_EQ(result->err, "err:register");
  EXPECT_EQ(result->server_fingerprint, host_fingerprint_);
  const auto requests = handler_.requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].verb, "register");
  EXPECT_EQ(requests[0].args, (std::vector<std::string>{"--host", "web01"}));
  EXPECT_EQ(requests[0].fingerprint, client_fingerprint_);
  EXPECT_EQ(requests[0].public_key.rfind("ssh-ed25519 AAAA", 0), 0u);
  EXPECT_EQ(requests[0].peer.rfind("127.0.0.1:", 0), 0u);
}

TEST_F(SshServerTest, AdmissionHoldIsClosedBeforeTheHandlerRuns) {
  handler_.Accept(client_fingerprint_);
  handler_.Hold();
  Start();
  auto result = Run("register --host web01", "snapshot bytes\n");
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->out, "out:snapshot bytes\n");
  // Held into Handle, the registrar's quiet period would wait for itself.
  EXPECT_EQ(handler_.hold_closed_in_handle(), 1);
}

TEST_F(SshServerTest, LargeInputWithinTheLimitArrivesWhole) {
  handler_.Accept(client_fingerprint_);
  Limits limits;
  limits.max_payload = 1 << 20;
  Start(limits);
  std::string input(limits.max_payload, 'x');
  for (size_t i = 0; i < input.size(); i += 997) input[i] = static_cast<char>('a' + i % 26);
  auto result = Run("hello", input);
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_status, 0);
  EXPECT_EQ(result->out, "out:" + input);
}

TEST_F(SshServerTest, OversizedInputIsRefusedBeforeTheHandler) {
  handler_.Accept(client_fingerprint_);
  Limits limits;
  limits.max_payload = 1000;
  Start(limits);
  auto result = Run("register", std::string(1001, 'x'));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_status, 2);
  EXPECT_EQ(result->err,
            "automon-registrar: refused: register takes at most 1000 bytes of input\n");
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(SshServerTest, InputOverTheCommandsLimitIsRefusedWhileItArrives) {
  handler_.Accept(client_fingerprint_);
  handler_.LimitInput("hello", 1024);
  Start();
  // 64 MiB, sent as fast as the client can: the refusal comes as soon as
  // the first KiB is passed, long before the end, and the client stops.
  const auto start = std::chrono::steady_clock::now();
  const auto [status, output] =
      Shell("head -c 67108864 /dev/zero | " + Ssh("automon@127.0.0.1 hello"));
  EXPECT_EQ(status, 2) << output;
  EXPECT_EQ(output, "automon-registrar: refused: hello takes at most 1024 bytes of input\n");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
  EXPECT_TRUE(handler_.requests().empty());
  // Exactly at the limit is fine.
  auto result = Run("hello", std::string(1024, 'x'));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_status, 0);
}

TEST_F(SshServerTest, InputOfAllConnectionsTogetherIsBounded) {
  handler_.Accept(client_fingerprint_);
  Limits limits;
  limits.max_buffered_input = 100000;
  Start(limits);
  // A client alone over the budget; the budget is given back afterwards.
  const auto [status, output] =
      Shell("head -c 200000 /dev/zero | " + Ssh("automon@127.0.0.1 register"));
  EXPECT_EQ(status, 2) << output;
  EXPECT_EQ(output,
            "automon-registrar: refused: too much input from other connections at the moment; "
            "try again later\n");
  for (int i = 0; i < 3; ++i) {
    auto result = Run("register", std::string(90000, 'x'));
    ASSERT_TRUE(result.ok()) << result.error().message;
    EXPECT_EQ(result->exit_status, 1) << result->err;
  }
  EXPECT_EQ(handler_.requests().size(), 3u);
}

TEST_F(SshServerTest, AdmissionRefusalIsAnsweredWithoutReadingInput) {
  handler_.Accept(client_fingerprint_);
  Start();
  const auto [status, output] =
      Shell("head -c 67108864 /dev/zero | " + Ssh("automon@127.0.0.1 deregister"));
  EXPECT_EQ(status, 2) << output;
  EXPECT_EQ(output, "refused at once\n");
  EXPECT_TRUE(handler_.requests().empty());
}

// Our own client too: the refusal is read even though the channel closed
// while the input was still being sent.
TEST_F(SshServerTest, AdmissionRefusalReachesAClientStillSendingInput) {
  handler_.Accept(client_fingerprint_);
  Start();
  auto result = Run("deregister", std::string(8 << 20, 'x'));
  ASSERT_TRUE(result.ok()) << result.error().message;
  EXPECT_EQ(result->exit_status, 2);
  EXPECT_EQ(result->err, "refused at once\n");
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(SshServerTest, UnknownKeyIsRefused) {
  Start();  // nothing accepted
  auto result = Run("hello", "");
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("refused our key"), std::string::npos)
      << result.error().message;
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(SshServerTest, HostKeyCheckRunsBeforeAuthentication) {
  handler_.Accept(client_fingerprint_);
  Start();
  automon::ssh::RemoteCommand rc{"127.0.0.1", server_->port(), "automon", "hello", "", 5s};
  auto result = automon::ssh::RunRemote(rc, client_key_, [](const std::string&) {
    return Result<void>(Error{"pinned key mismatch"});
  });
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().message, "pinned key mismatch");
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(SshServerTest, CommandsOutsideTheListAreRefused) {
  handler_.Accept(client_fingerprint_);
  Start();
  for (const char* command : {"sh", "rm -rf /", "registerx", "", "hello\tx"}) {
    auto result = Run(command, "");
    EXPECT_FALSE(result.ok()) << command;
  }
  EXPECT_TRUE(handler_.requests().empty());
  EXPECT_TRUE(Run("hello", "").ok()) << "still serving";
}

TEST_F(SshServerTest, OpenSshClientCanRegister) {
  handler_.Accept(client_fingerprint_);
  Start();
  std::ofstream(dir_ + "/snapshot") << "document\n";
  const auto [status, output] = Shell(Ssh("automon@127.0.0.1 register < " + dir_ + "/snapshot"));
  EXPECT_EQ(status, 1) << output;
  EXPECT_EQ(output, "out:document\nerr:register");
  ASSERT_EQ(handler_.requests().size(), 1u);
  EXPECT_EQ(handler_.requests()[0].fingerprint, client_fingerprint_);
}

TEST_F(SshServerTest, HostileOpenSshRequestsAreRefused) {
  handler_.Accept(client_fingerprint_);
  Start();
  // A shell (no command), with or without a pty.
  EXPECT_NE(Shell(Ssh("-T automon@127.0.0.1 < /dev/null")).first, 0);
  EXPECT_NE(Shell(Ssh("-tt automon@127.0.0.1 < /dev/null")).first, 0);
  // Another user name, even with the right key.
  EXPECT_NE(Shell(Ssh("root@127.0.0.1 hello < /dev/null")).first, 0);
  // Passwords and keyboard-interactive are not offered at all.
  const auto [status, output] = Shell(
      "timeout 20 ssh -F none -o BatchMode=yes -o StrictHostKeyChecking=no "
      "-o UserKnownHostsFile=/dev/null -o PubkeyAuthentication=no "
      "-o PreferredAuthentications=password,keyboard-interactive -p " +
      std::to_string(server_->port()) + " automon@127.0.0.1 hello < /dev/null");
  EXPECT_NE(status, 0);
  EXPECT_NE(output.find("Permission denied (publickey)"), std::string::npos) << output;
  // A remote port forward is refused, and the client gives up on it.
  EXPECT_NE(Shell(Ssh("-o ExitOnForwardFailure=yes -R 0:127.0.0.1:9 automon@127.0.0.1 hello "
                      "< /dev/null"))
                .first,
            0);
  EXPECT_TRUE(handler_.requests().empty());
  // Garbage instead of SSH.
  {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(server_->port()));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    const char garbage[] = "GET / HTTP/1.0\r\n\r\n\x00\xff\xfe";
    ASSERT_GT(::write(fd.get(), garbage, sizeof garbage), 0);
    char buffer[256];
    while (::read(fd.get(), buffer, sizeof buffer) > 0) {
    }
  }
  EXPECT_TRUE(Run("hello", "").ok()) << "still serving after every hostile client";
}

TEST_F(SshServerTest, LocalPortForwardIsRefused) {
  handler_.Accept(client_fingerprint_);
  Start();
  // ssh -L opens a direct-tcpip channel when something connects to the
  // local end; the server has no such channel and must refuse it.
  sockaddr_in addr{};
  socklen_t len = sizeof addr;
  UniqueFd probe(::socket(AF_INET, SOCK_STREAM, 0));
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(probe.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::getsockname(probe.get(), reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const int local_port = ntohs(addr.sin_port);
  probe.Reset();
  // A target that greets every connection: if forwarding worked, the
  // greeting would come through.
  UniqueFd target(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in target_addr{};
  target_addr.sin_family = AF_INET;
  target_addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t target_len = sizeof target_addr;
  ASSERT_EQ(::bind(target.get(), reinterpret_cast<sockaddr*>(&target_addr), sizeof target_addr), 0);
  ASSERT_EQ(::listen(target.get(), 4), 0);
  ASSERT_EQ(::getsockname(target.get(), reinterpret_cast<sockaddr*>(&target_addr), &target_len), 0);
  const int target_port = ntohs(target_addr.sin_port);
  std::atomic<int> greeted{0};
  std::thread greeter([&] {
    pollfd p{target.get(), POLLIN, 0};
    while (::poll(&p, 1, 4000) > 0) {
      UniqueFd c(::accept(target.get(), nullptr, nullptr));
      if (c.valid() && ::write(c.get(), "HELLO", 5) == 5) ++greeted;
    }
  });
  // `timeout 3` ends the client; Ssh()'s own limit is longer.
  std::thread forward([&] {
    (void)Shell("timeout 3 " + Ssh("-N -L " + std::to_string(local_port) + ":127.0.0.1:" +
                                   std::to_string(target_port) + " automon@127.0.0.1"));
  });
  // Connect through the forward once it listens; the far end closes at once.
  bool connected = false;
  for (int i = 0; i < 100 && !connected; ++i) {
    std::this_thread::sleep_for(50ms);
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(static_cast<uint16_t>(local_port));
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
      connected = true;
      char buffer[16];
      EXPECT_LE(::read(fd.get(), buffer, sizeof buffer), 0) << "nothing comes through";
    }
  }
  EXPECT_TRUE(connected);
  forward.join();
  greeter.join();
  EXPECT_EQ(greeted, 0) << "the server opened the forwarded connection";
  EXPECT_TRUE(handler_.requests().empty());
  EXPECT_TRUE(Run("hello", "").ok()) << "still serving";
}

TEST_F(SshServerTest, StalledClientNeitherHangsNorDelaysOthers) {
  handler_.Accept(client_fingerprint_);
  Limits limits;
  limits.payload = 1500ms;
  Start(limits);
  // A client that starts a registration and then never finishes its input.
  std::thread stalled([&] {
    const auto [status, output] =
        Shell("(printf partial; sleep 6) | " + Ssh("automon@127.0.0.1 register"));
    EXPECT_EQ(status, 2) << output;
    EXPECT_NE(output.find("the input did not end in time"), std::string::npos) << output;
  });
  std::this_thread::sleep_for(500ms);
  const auto start = std::chrono::steady_clock::now();
  auto result = Run("hello", "quick");
  EXPECT_TRUE(result.ok());
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1200ms)
      << "a stalled client must not delay the others";
  stalled.join();
  // Only the quick client reached the handler.
  ASSERT_EQ(handler_.requests().size(), 1u);
  EXPECT_EQ(handler_.requests()[0].input, "quick");
}

TEST_F(SshServerTest, SilentConnectionIsDroppedAfterThePreauthLimit) {
  Limits limits;
  limits.preauth = 1000ms;
  Start(limits);
  UniqueFd fd = ConnectFrom("127.0.0.1", server_->port());
  ASSERT_TRUE(fd.valid());
  const auto start = std::chrono::steady_clock::now();
  char buffer[256];
  while (::read(fd.get(), buffer, sizeof buffer) > 0) {  // banner, then EOF when dropped
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GT(waited, 500ms);
  EXPECT_LT(waited, 2500ms);
}

TEST_F(SshServerTest, ClientThatDoesNotAuthenticateInTimeIsDropped) {
  handler_.Accept(client_fingerprint_);
  Limits limits;
  limits.preauth = 1500ms;
  Start(limits);
  // OpenSSH with a passphrase-protected key: the key exchange completes,
  // then the client waits 8 s for its passphrase before it can sign.
  const std::string key = dir_ + "/locked";
  ASSERT_EQ(std::system(("ssh-keygen -q -t ed25519 -N secret -C test -f " + key).c_str()), 0);
  // "256 SHA256:... test (ED25519)": the server must take this key.
  const std::string listed = Shell("ssh-keygen -lf " + key + ".pub").second;
  const size_t from = listed.find("SHA256:");
  ASSERT_NE(from, std::string::npos) << listed;
  handler_.Accept(listed.substr(from, listed.find(' ', from) - from));
  std::ofstream(dir_ + "/askpass") << "#!/bin/sh\nsleep 8\necho secret\n";
  std::filesystem::permissions(dir_ + "/askpass", std::filesystem::perms::owner_all);
  std::pair<int, std::string> client;
  std::thread run([&] {
    client = Shell("SSH_ASKPASS=" + dir_ +
                   "/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=none timeout 20 ssh -F none "
                   "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null "
                   "-o IdentitiesOnly=yes -o PreferredAuthentications=publickey -i " +
                   key + " -p " + std::to_string(server_->port()) +
                   " automon@127.0.0.1 hello < /dev/null");
  });
  // The client sits in its passphrase prompt; the server ends the
  // connection at the deadline all the same.
  const auto start = std::chrono::steady_clock::now();
  while (server_->served() == 0 && std::chrono::steady_clock::now() - start < 7s) {
    std::this_thread::sleep_for(50ms);
  }
  const auto waited = std::chrono::steady_clock::now() - start;
  run.join();
  EXPECT_EQ(server_->served(), 1);
  EXPECT_LT(waited, 4s) << "not dropped at the pre-authentication deadline";
  EXPECT_GT(waited, 1s);
  EXPECT_NE(client.first, 0) << client.second;
  EXPECT_TRUE(handler_.requests().empty());
}

TEST_F(SshServerTest, ConnectionsBeyondTheCapWaitForASlot) {
  handler_.Accept(client_fingerprint_);
  Limits limits;
  limits.max_connections = 1;
  limits.preauth = 3000ms;
  Start(limits);
  // Hold the only slot with a silent connection, and free it a little later.
  UniqueFd fd = ConnectFrom("127.0.0.2", server_->port());
  ASSERT_TRUE(fd.valid());
  std::this_thread::sleep_for(300ms);
  std::thread release([&] {
    std::this_thread::sleep_for(700ms);
    fd.Reset();
  });
  const auto start = std::chrono::steady_clock::now();
  auto result = Run("hello", "", 5s);
  release.join();
  EXPECT_TRUE(result.ok()) << result.error().message;
  EXPECT_GT(std::chrono::steady_clock::now() - start, 500ms) << "it waited for the slot";
  EXPECT_EQ(server_->refused_busy(), 0);
  EXPECT_EQ(handler_.requests().size(), 1u);
}

TEST_F(SshServerTest, ConnectionsWaitingTooLongAreRefusedAndLogged) {
  handler_.Accept(client_fingerprint_);
  Limits limits;
  limits.max_connections = 1;
  limits.preauth = 3000ms;
  limits.max_wait = 500ms;
  Start(limits);
  UniqueFd fd = ConnectFrom("127.0.0.2", server_->port());
  ASSERT_TRUE(fd.valid());
  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(Run("hello", "", 2s).ok());
  EXPECT_EQ(server_->refused_busy(), 1);
  fd.Reset();
  // Once the slot is free again, a client gets in.
  for (int i = 0; i < 50 && !Run("hello", "", 2s).ok(); ++i) std::this_thread::sleep_for(100ms);
  EXPECT_EQ(handler_.requests().size(), 1u);
  const auto lines = log_.lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0], "refused a connection from 127.0.0.1: no free slot within 0.5 s");
}

TEST_F(SshServerTest, OneAddressFloodingLeavesTheOthersTheirSlots) {
  handler_.Accept(client_fingerprint_);
  Limits limits;
  limits.max_connections = 8;
  limits.max_unauthenticated_per_source = 2;
  limits.max_waiting = 4;
  limits.preauth = 4000ms;
  limits.refusal_log_interval = 500ms;
  Start(limits);
  // 30 silent connections from 127.0.0.2: 2 hold slots, 4 wait, the rest
  // are refused as they come.
  std::vector<UniqueFd> flood;
  for (int i = 0; i < 30; ++i) {
    flood.push_back(ConnectFrom("127.0.0.2", server_->port()));
    ASSERT_TRUE(flood.back().valid());
  }
  std::this_thread::sleep_for(300ms);
  const auto start = std::chrono::steady_clock::now();
  auto result = Run("hello", "", 3s);
  EXPECT_TRUE(result.ok()) << result.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s) << "127.0.0.1 did not wait for 127.0.0.2";
  std::this_thread::sleep_for(700ms);  // past the log interval
  for (int i = 0; i < 3; ++i) flood.push_back(ConnectFrom("127.0.0.2", server_->port()));
  std::this_thread::sleep_for(300ms);
  EXPECT_GE(server_->refused_busy(), 24);
  const auto lines = log_.lines();
  ASSERT_GE(lines.size(), 2u);
  EXPECT_EQ(lines[0],
            "refused a connection from 127.0.0.2: 4 connections already wait for a slot, 4 of "
            "them from this address");
  EXPECT_NE(lines[1].find("connections from 127.0.0.2 in the last"), std::string::npos) << lines[1];
  EXPECT_LE(lines.size(), 3u) << "rate-limited";
}

TEST(IsAllowedVerbTest, FixedList) {
  for (const char* verb : {"hello", "enroll", "register", "deregister", "results"}) {
    EXPECT_TRUE(IsAllowedVerb(verb)) << verb;
  }
  for (const char* verb : {"", "shell", "Register", "register ", "result", "Results"}) {
    EXPECT_FALSE(IsAllowedVerb(verb));
  }
}

TEST(SetNoDelayTest, AcceptedTcpConnectionsAnswerWithoutWaiting) {
  UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_TRUE(listener.valid());
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  ASSERT_EQ(::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  ASSERT_EQ(::listen(listener.get(), 1), 0);
  ASSERT_EQ(::getsockname(listener.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  UniqueFd client(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  ASSERT_EQ(::connect(client.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  UniqueFd accepted(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  ASSERT_TRUE(accepted.valid());
  auto no_delay = [&] {
    int value = -1;
    socklen_t size = sizeof value;
    EXPECT_EQ(::getsockopt(accepted.get(), IPPROTO_TCP, TCP_NODELAY, &value, &size), 0);
    return value;
  };
  EXPECT_EQ(no_delay(), 0);  // the kernel's default: Nagle on
  EXPECT_TRUE(SetNoDelay(accepted.get()));
  EXPECT_NE(no_delay(), 0);

  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), 0);
  UniqueFd a(pair[0]), b(pair[1]);
  EXPECT_FALSE(SetNoDelay(a.get()));
}

}  // namespace
}  // namespace automon::registrar::ssh
