// SPDX-License-Identifier: GPL-2.0-or-later
// The ResultWriter of each monitoring core (results.h). Which one the
// registrar uses is MakeResultWriter()'s choice (registrar/backend.cc);
// nothing else names a core.
//
//   Nagios    the external command file (nagios.cfg's command_file), a
//             FIFO opened O_WRONLY|O_NONBLOCK: with no reader (ENXIO, the
//             core is down) results wait in a bounded queue, collapsed to
//             the newest per service, and a thread retries every second.
//   Icinga 2  POST /v1/actions/process-check-result of its REST API, as an
//             ApiUser allowed only that (automon-registrar(8)).
//   Checkmk   livestatus COMMAND on the site's tmp/run/live socket.
#ifndef AUTOMON_REGISTRAR_RESULT_WRITERS_H_
#define AUTOMON_REGISTRAR_RESULT_WRITERS_H_

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/unique_fd.h"
#include "registrar/results.h"

namespace automon::registrar {

// Results waiting for a Nagios that is down, at most.
inline constexpr size_t kMaxQueuedResults = 10000;

class NagiosCommandFileWriter final : public ResultWriter {
 public:
  // `command_file`: the FIFO. `retry_every`: how often the queue is retried
  // while the core is down (zero: only on the next Write, for tests).
  NagiosCommandFileWriter(std::string command_file, size_t max_queued = kMaxQueuedResults,
                          std::chrono::milliseconds retry_every = std::chrono::seconds(1));
  ~NagiosCommandFileWriter() override;
  NagiosCommandFileWriter(const NagiosCommandFileWriter&) = delete;
  NagiosCommandFileWriter& operator=(const NagiosCommandFileWriter&) = delete;

  std::vector<WriteOutcome> Write(const std::vector<CoreResult>& results) override;
  size_t queued();

 private:
  struct Queued {
    std::string key;  // host + '\0' + service
    std::string line;
    uint64_t id = 0;
  };
  // Writes the queue; mutex_ held. Returns the ids written.
  void FlushLocked(std::string& why_not);
  void RetryLoop();

  const std::string path_;
  const size_t max_queued_;
  const std::chrono::milliseconds retry_every_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::deque<Queued> queue_;
  uint64_t next_id_ = 1;
  uint64_t written_up_to_ = 0;  // every id <= this one left the queue written
  UniqueFd fd_;
  std::thread retry_;
};

// Livestatus: one connection per batch, one COMMAND per result.
class LivestatusWriter final : public ResultWriter {
 public:
  explicit LivestatusWriter(std::string socket_path) : path_(std::move(socket_path)) {}
  std::vector<WriteOutcome> Write(const std::vector<CoreResult>& results) override;

 private:
  const std::string path_;
  std::mutex mutex_;
};

struct Icinga2ApiOptions {
  std::string host = "localhost";
  int port = 5665;
  std::string user = "automon";
  std::string password;  // read from api_password_file
  std::string ca_file;   // verifies the API's certificate; empty: not verified
  std::chrono::milliseconds timeout{10000};
};

// The REST API: one request per result, on one kept-alive connection.
class Icinga2ApiWriter final : public ResultWriter {
 public:
  explicit Icinga2ApiWriter(Icinga2ApiOptions options);
  ~Icinga2ApiWriter() override;
  Icinga2ApiWriter(const Icinga2ApiWriter&) = delete;
  Icinga2ApiWriter& operator=(const Icinga2ApiWriter&) = delete;
  std::vector<WriteOutcome> Write(const std::vector<CoreResult>& results) override;

  // The JSON body of one result (exposed for the tests).
  static std::string Body(const CoreResult& result);

 private:
  Icinga2ApiOptions options_;
  std::mutex mutex_;
  void* curl_ = nullptr;  // CURL*, reused for keep-alive
};

// A writer that refuses every result and says why: for a core whose
// writer could not be set up (the reason reaches the agent and the log).
class RefusingWriter final : public ResultWriter {
 public:
  explicit RefusingWriter(std::string why) : why_(std::move(why)) {}
  std::vector<WriteOutcome> Write(const std::vector<CoreResult>& results) override {
    return std::vector<WriteOutcome>(results.size(), {formats::ResultStatus::kRefusedByCore, why_});
  }

 private:
  const std::string why_;
};

// nagios.cfg's command_file (relative paths are relative to its directory);
// an Error when the file cannot be read or names none.
Result<std::string> NagiosCommandFileOf(std::string_view nagios_cfg_text,
                                        std::string_view nagios_cfg_path);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_RESULT_WRITERS_H_
