// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/result_writers.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <thread>

#include "common/testing/temp_dir.h"

namespace automon::registrar {
namespace {

using formats::ResultStatus;

CoreResult Result1(std::string service = "backup", int64_t time = 1700000000) {
  return {"web01.example.org", service, "Nightly " + service, 0, "OK", "l2", "a=1", time};
}

// Everything a reader of the FIFO gets until `until` bytes or EOF.
std::string ReadFifo(int fd, size_t until) {
  std::string got;
  char buffer[4096];
  while (got.size() < until) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n <= 0) break;
    got.append(buffer, static_cast<size_t>(n));
  }
  return got;
}

TEST(NagiosCommandFileWriterTest, WritesWholeLinesToTheFifo) {
  testing::ScopedTempDir dir;
  const std::string fifo = dir.File("nagios.cmd");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ::fcntl(reader, F_SETFL, 0);  // blocking reads from here on
  NagiosCommandFileWriter writer(fifo, 10, std::chrono::milliseconds(0));
  const auto outcomes = writer.Write({Result1(), Result1("raid")});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].status, ResultStatus::kAccepted) << outcomes[0].detail;
  EXPECT_EQ(outcomes[1].status, ResultStatus::kAccepted);
  const std::string expected =
      "[1700000000] PROCESS_SERVICE_CHECK_RESULT;web01.example.org;Nightly backup;0;OK|a=1\\nl2\n"
      "[1700000000] PROCESS_SERVICE_CHECK_RESULT;web01.example.org;Nightly raid;0;OK|a=1\\nl2\n";
  EXPECT_EQ(ReadFifo(reader, expected.size()), expected);
  ::close(reader);
}

TEST(NagiosCommandFileWriterTest, QueuesWhileNobodyReadsNewestPerServiceAndBounded) {
  testing::ScopedTempDir dir;
  const std::string fifo = dir.File("nagios.cmd");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  NagiosCommandFileWriter writer(fifo, 2, std::chrono::milliseconds(0));
  // No reader: ENXIO, the core is down.
  auto outcomes = writer.Write({Result1("backup", 100), Result1("raid", 100)});
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].status, ResultStatus::kQueued);
  EXPECT_NE(outcomes[0].detail.find("is not reading"), std::string::npos) << outcomes[0].detail;
  // A newer result of the same service replaces the queued one; a third
  // service does not fit.
  outcomes = writer.Write({Result1("backup", 200), Result1("disk", 200)});
  EXPECT_EQ(outcomes[0].status, ResultStatus::kQueued);
  EXPECT_EQ(outcomes[1].status, ResultStatus::kRefusedByCore);
  EXPECT_EQ(outcomes[1].detail, "2 results already wait for Nagios (core down?)");
  EXPECT_EQ(writer.queued(), 2u);
  // The core comes back: the queue goes out in order, newest per service.
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  ::fcntl(reader, F_SETFL, 0);
  outcomes = writer.Write({});
  EXPECT_EQ(writer.queued(), 0u);
  const std::string expected =
      "[100] PROCESS_SERVICE_CHECK_RESULT;web01.example.org;Nightly raid;0;OK|a=1\\nl2\n"
      "[200] PROCESS_SERVICE_CHECK_RESULT;web01.example.org;Nightly backup;0;OK|a=1\\nl2\n";
  EXPECT_EQ(ReadFifo(reader, expected.size()), expected);
  ::close(reader);
}

TEST(NagiosCommandFileWriterTest, RetryThreadDeliversWithoutANewWrite) {
  testing::ScopedTempDir dir;
  const std::string fifo = dir.File("nagios.cmd");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  NagiosCommandFileWriter writer(fifo, 10, std::chrono::milliseconds(50));
  EXPECT_EQ(writer.Write({Result1()})[0].status, ResultStatus::kQueued);
  const int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(reader, 0);
  for (int i = 0; i < 100 && writer.queued() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(writer.queued(), 0u);
  ::close(reader);
}

TEST(NagiosCommandFileWriterTest, ReaderGoneRequeuesWithoutSigpipe) {
  testing::ScopedTempDir dir;
  const std::string fifo = dir.File("nagios.cmd");
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  NagiosCommandFileWriter writer(fifo, 10, std::chrono::milliseconds(0));
  int reader = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  EXPECT_EQ(writer.Write({Result1("a")})[0].status, ResultStatus::kAccepted);
  ::close(reader);  // the core stopped; the writer still holds the FIFO open
  const auto outcome = writer.Write({Result1("b")});
  EXPECT_EQ(outcome[0].status, ResultStatus::kQueued) << outcome[0].detail;
  EXPECT_EQ(writer.queued(), 1u);
}

TEST(NagiosCommandFileWriterTest, CommandFileFromNagiosCfg) {
  EXPECT_EQ(*NagiosCommandFileOf("log_file=/x\ncommand_file=/var/lib/nagios4/rw/nagios.cmd\n",
                                 "/etc/nagios4/nagios.cfg"),
            "/var/lib/nagios4/rw/nagios.cmd");
  EXPECT_EQ(*NagiosCommandFileOf(" command_file = rw/nagios.cmd \n", "/etc/nagios4/nagios.cfg"),
            "/etc/nagios4/rw/nagios.cmd");
  auto missing = NagiosCommandFileOf("#command_file=/x\n", "/etc/nagios4/nagios.cfg");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message,
            "/etc/nagios4/nagios.cfg names no command_file: Nagios takes no passive results "
            "without one (set check_external_commands=1 and command_file)");
}

TEST(LivestatusWriterTest, OneCommandPerConnection) {
  testing::ScopedTempDir dir;
  const std::string path = dir.File("live");
  const int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strcpy(address.sun_path, path.c_str());
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(listener, 8), 0);
  std::vector<std::string> received;
  std::thread server([&] {
    for (int i = 0; i < 2; ++i) {
      const int c = ::accept(listener, nullptr, nullptr);
      if (c < 0) return;
      std::string got;
      char buffer[4096];
      ssize_t n;
      while ((n = ::read(c, buffer, sizeof(buffer))) > 0) got.append(buffer, n);
      received.push_back(got);
      ::close(c);
    }
  });
  LivestatusWriter writer(path);
  const auto outcomes = writer.Write({Result1(), Result1("raid")});
  server.join();
  ::close(listener);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].status, ResultStatus::kAccepted);
  ASSERT_EQ(received.size(), 2u);
  EXPECT_EQ(received[0],
            "COMMAND [1700000000] PROCESS_SERVICE_CHECK_RESULT;web01.example.org;Nightly backup;0;"
            "OK|a=1\\nl2\n\n");
  EXPECT_EQ(received[1].substr(0, 8), "COMMAND ");
  // Nobody listens any more: each result is refused, saying why.
  const auto refused = writer.Write({Result1()});
  EXPECT_EQ(refused[0].status, ResultStatus::kRefusedByCore);
  EXPECT_NE(refused[0].detail.find("connect(" + path + ")"), std::string::npos)
      << refused[0].detail;
}

TEST(Icinga2ApiWriterTest, BodyCarriesOutputLongOutputAndPerfdataApart) {
  CoreResult r = Result1();
  r.output = "OK \"quoted\"";
  const auto body = nlohmann::json::parse(Icinga2ApiWriter::Body(r));
  EXPECT_EQ(body["type"], "Service");
  EXPECT_EQ(body["service"], "web01.example.org!backup");
  EXPECT_EQ(body["exit_status"], 0);
  EXPECT_EQ(body["plugin_output"], "OK \"quoted\"\nl2");
  EXPECT_EQ(body["performance_data"], "a=1");
  EXPECT_EQ(body["execution_end"], 1700000000);
}

TEST(Icinga2ApiWriterTest, UnreachableApiIsRefusedByCore) {
  Icinga2ApiOptions options;
  options.host = "127.0.0.1";
  options.port = 1;  // nothing listens
  options.password = "x";
  options.timeout = std::chrono::milliseconds(2000);
  Icinga2ApiWriter writer(options);
  const auto outcomes = writer.Write({Result1()});
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].status, ResultStatus::kRefusedByCore);
  EXPECT_NE(outcomes[0].detail.find("Icinga 2 API https://127.0.0.1:1/"), std::string::npos)
      << outcomes[0].detail;
}

}  // namespace
}  // namespace automon::registrar
