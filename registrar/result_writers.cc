// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/result_writers.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <nlohmann/json.hpp>

#include "common/signals.h"
#include "common/text.h"

namespace automon::registrar {
namespace {

using formats::ResultStatus;

// How long one write may wait for a core that reads slowly.
constexpr int kWriteTimeoutMs = 5000;

// Writes all of `data` to the non-blocking `fd`, waiting for it to become
// writable; an errno on failure, 0 on success.
int WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return errno;
    pollfd p{fd, POLLOUT, 0};
    const int ready = ::poll(&p, 1, kWriteTimeoutMs);
    if (ready == 0) return ETIMEDOUT;
    if (ready < 0 && errno != EINTR) return errno;
    if (ready > 0 && (p.revents & (POLLERR | POLLHUP)) != 0 && (p.revents & POLLOUT) == 0) {
      return EPIPE;
    }
  }
  return 0;
}

}  // namespace

Result<std::string> NagiosCommandFileOf(std::string_view text, std::string_view nagios_cfg_path) {
  std::optional<std::string> found;
  for (std::string_view rest = text; !rest.empty();) {
    const size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos) continue;
    if (TrimSpace(line.substr(0, eq)) != "command_file") continue;
    found = std::string(TrimSpace(line.substr(eq + 1)));
  }
  if (!found || found->empty()) {
    return Error{
        fmt::format("{} names no command_file: Nagios takes no passive results without "
                    "one (set check_external_commands=1 and command_file)",
                    nagios_cfg_path)};
  }
  if (!found->starts_with("/")) {
    const size_t slash = nagios_cfg_path.rfind('/');
    const std::string dir(slash == std::string_view::npos ? "." : nagios_cfg_path.substr(0, slash));
    *found = dir + "/" + *found;
  }
  return *found;
}

// --- Nagios

NagiosCommandFileWriter::NagiosCommandFileWriter(std::string command_file, size_t max_queued,
                                                 std::chrono::milliseconds retry_every)
    : path_(std::move(command_file)), max_queued_(max_queued), retry_every_(retry_every) {
  if (retry_every_.count() > 0) retry_ = std::thread([this] { RetryLoop(); });
}

NagiosCommandFileWriter::~NagiosCommandFileWriter() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (retry_.joinable()) retry_.join();
}

size_t NagiosCommandFileWriter::queued() {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void NagiosCommandFileWriter::FlushLocked(std::string& why_not) {
  if (queue_.empty()) return;
  ScopedSigpipeBlock no_sigpipe;
  for (int attempt = 0; attempt < 2 && !queue_.empty(); ++attempt) {
    if (!fd_.valid()) {
      const int fd = ::open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
      if (fd < 0) {
        const int e = errno;
        why_not = e == ENXIO || e == ENOENT
                      ? fmt::format("Nagios is not reading {} (core down?)", path_)
                      : SystemError("open", e, path_).message;
        return;
      }
      fd_ = UniqueFd(fd);
    }
    // Whole lines, in order: one writer, so no other command of ours can
    // come between the parts of a line.
    std::string chunk;
    size_t lines = 0;
    while (!queue_.empty()) {
      chunk.clear();
      lines = 0;
      for (auto it = queue_.begin(); it != queue_.end() && chunk.size() < (64 << 10); ++it) {
        chunk += it->line;
        ++lines;
      }
      const int e = WriteAll(fd_.get(), chunk);
      if (e != 0) {
        // A partial line may have gone out; the core ends a command at the
        // next newline, so the retried line follows a broken one at worst.
        fd_ = UniqueFd();
        why_not = SystemError("write", e, path_).message;
        break;
      }
      for (size_t i = 0; i < lines; ++i) {
        written_up_to_ = queue_.front().id;
        queue_.pop_front();
      }
    }
    if (queue_.empty()) why_not.clear();
  }
}

void NagiosCommandFileWriter::RetryLoop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, retry_every_);
    if (stopping_) break;
    std::string why_not;
    FlushLocked(why_not);
  }
}

std::vector<WriteOutcome> NagiosCommandFileWriter::Write(const std::vector<CoreResult>& results) {
  std::lock_guard lock(mutex_);
  std::vector<uint64_t> ids;
  std::vector<WriteOutcome> outcomes(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    const CoreResult& r = results[i];
    std::string key = r.host + '\0' + r.service;
    // The newest result per service only: Nagios takes an older result
    // after a newer one and alerts on it.
    for (auto it = queue_.begin(); it != queue_.end(); ++it) {
      if (it->key == key) {
        queue_.erase(it);
        break;
      }
    }
    if (queue_.size() >= max_queued_) {
      outcomes[i] = {ResultStatus::kRefusedByCore,
                     fmt::format("{} results already wait for Nagios (core down?)", max_queued_)};
      ids.push_back(0);
      continue;
    }
    queue_.push_back({std::move(key), NagiosCommandLine(r), next_id_});
    ids.push_back(next_id_++);
  }
  std::string why_not;
  FlushLocked(why_not);
  for (size_t i = 0; i < results.size(); ++i) {
    if (ids[i] == 0) continue;
    if (ids[i] <= written_up_to_) {
      outcomes[i] = {ResultStatus::kAccepted, ""};
    } else {
      outcomes[i] = {
          ResultStatus::kQueued,
          fmt::format("{}; {} results queued, retried every second", why_not, queue_.size())};
    }
  }
  return outcomes;
}

// --- Livestatus

std::vector<WriteOutcome> LivestatusWriter::Write(const std::vector<CoreResult>& results) {
  std::lock_guard lock(mutex_);
  std::vector<WriteOutcome> outcomes;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path_.size() >= sizeof(address.sun_path)) {
    return std::vector<WriteOutcome>(results.size(),
                                     {ResultStatus::kRefusedByCore,
                                      fmt::format("livestatus socket path {} is too long", path_)});
  }
  std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);
  ScopedSigpipeBlock no_sigpipe;
  // One connection per command: livestatus answers one request per
  // connection unless asked to keep it alive, and a command has no answer.
  for (const CoreResult& r : results) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd.valid()) {
      outcomes.push_back(
          {ResultStatus::kRefusedByCore, SystemError("socket", errno, path_).message});
      continue;
    }
    if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&address), sizeof(address)) != 0) {
      outcomes.push_back(
          {ResultStatus::kRefusedByCore, SystemError("connect", errno, path_).message});
      continue;
    }
    if (const int e = WriteAll(fd.get(), "COMMAND " + NagiosCommandLine(r) + "\n"); e != 0) {
      outcomes.push_back({ResultStatus::kRefusedByCore, SystemError("write", e, path_).message});
      continue;
    }
    ::shutdown(fd.get(), SHUT_WR);
    outcomes.push_back({ResultStatus::kAccepted, ""});
  }
  return outcomes;
}

// --- Icinga 2

namespace {

size_t Collect(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t n = size * count;
  if (body->size() + n > (1 << 20)) return 0;  // a reply is small
  body->append(data, n);
  return n;
}

}  // namespace

Icinga2ApiWriter::Icinga2ApiWriter(Icinga2ApiOptions options)
    : options_(std::move(options)), curl_(curl_easy_init()) {}

Icinga2ApiWriter::~Icinga2ApiWriter() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

std::string Icinga2ApiWriter::Body(const CoreResult& r) {
  std::string output = r.output;
  if (!r.long_output.empty()) output += "\n" + r.long_output;
  nlohmann::json body = {
      {"type", "Service"},
      {"service", r.host + "!" + r.service},
      {"exit_status", r.state},
      {"plugin_output", output},
      {"execution_start", r.time},
      {"execution_end", r.time},
      {"check_source", "automon-registrar"},
  };
  if (!r.perfdata.empty()) body["performance_data"] = r.perfdata;
  // Invalid UTF-8 is replaced, never a reason to throw.
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<WriteOutcome> Icinga2ApiWriter::Write(const std::vector<CoreResult>& results) {
  std::lock_guard lock(mutex_);
  std::vector<WriteOutcome> outcomes;
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) {
    return std::vector<WriteOutcome>(results.size(),
                                     {ResultStatus::kRefusedByCore, "libcurl failed to start"});
  }
  const std::string url = fmt::format(
      "https://{}:{}/v1/actions/process-check-result",
      options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host,
      options_.port);
  for (const CoreResult& r : results) {
    const std::string body = Body(r);
    std::string reply;
    char error[CURL_ERROR_SIZE] = "";
    curl_slist* headers = nullptr;
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, "Content-Type: application/json");
    curl_easy_reset(curl);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_USERNAME, options_.user.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, options_.password.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
    if (options_.ca_file.empty()) {
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    } else {
      // Icinga 2's own CA signs only its nodes' certificates, whose name is
      // the node's (its FQDN), not the address the registrar dials
      // (localhost): the chain is verified, the name is not.
      curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
      curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
    }
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    const CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(headers);
    if (code != CURLE_OK) {
      outcomes.push_back({ResultStatus::kRefusedByCore,
                          fmt::format("Icinga 2 API {}: {}", url,
                                      error[0] != '\0' ? error : curl_easy_strerror(code))});
      continue;
    }
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    if (status == 200) {
      outcomes.push_back({ResultStatus::kAccepted, ""});
    } else {
      outcomes.push_back(
          {ResultStatus::kRefusedByCore,
           fmt::format("Icinga 2 API answered {}: {}", status, Abbreviate(OneLine(reply), 300))});
    }
  }
  return outcomes;
}

}  // namespace automon::registrar
