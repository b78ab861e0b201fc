// SPDX-License-Identifier: GPL-2.0-or-later
// automon-agent-run: the idle half of `automon-agent run` (see daemon.cc
// and automon-agent(8)). It links only automon_common (and its process runner), so that a host that
// waits for changes all day keeps a small footprint; each push, and each
// reading of agent.conf, is a child automon-agent.
//
//   automon-agent-run --agent PATH [--config FILE] [--dpkg-admindir DIR]
//                     [--debounce MS] [--start-jitter S] [--retry-base MS]
//                     [--rescan S]
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "agent/watch.h"
#include "common/parse_integer.h"
#include "common/process_runner.h"
#include "common/unique_fd.h"

namespace {

using automon::agent::PushOutcome;
using automon::agent::WatchPlan;
using std::chrono::milliseconds;

// The longest a child may run: a push looks for registrars for at most a
// minute (discovery_timeout) and gives each one at most a minute
// (network.cc); one still running after ten is hung, killed, and counts
// as a failed push (tried again with backoff).
constexpr milliseconds kChildLimit = std::chrono::minutes(10);

// Runs `args` with an empty signal mask (the loop blocks its signals);
// its stdout into `out` when given, else shared. Returns the exit status,
// or -1 when it could not run, was killed, or ran longer than `limit`
// (then it is killed).
int Spawn(const std::vector<std::string>& args, std::string* out, milliseconds limit) {
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + limit;
  auto left = [&] {
    return std::max<int64_t>(
        0, std::chrono::duration_cast<milliseconds>(deadline - Clock::now()).count());
  };
  int fds[2] = {-1, -1};
  if (out != nullptr && ::pipe2(fds, O_CLOEXEC) != 0) {
    std::cerr << "automon-agent: pipe2: " << std::strerror(errno) << '\n';
    return -1;
  }
  automon::UniqueFd read_end(fds[0]), write_end(fds[1]);
  automon::SpawnOptions options;
  options.search_path = false;
  options.stdout_fd = write_end.get();
  const automon::Result<pid_t> child = automon::Spawn(args, options);
  if (!child) {
    std::cerr << "automon-agent: cannot run " << args[0] << ": "
              << std::strerror(child.error().errnum) << '\n';
    return -1;
  }
  const pid_t pid = *child;
  write_end.Reset();
  bool late = false;
  if (out != nullptr) {
    char buffer[4096];
    for (;;) {
      pollfd p{read_end.get(), POLLIN, 0};
      const int ready = ::poll(&p, 1, static_cast<int>(left()));
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        late = true;
        break;
      }
      if (ready < 0) break;
      const ssize_t n = ::read(read_end.get(), buffer, sizeof buffer);
      if (n == 0) break;
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) break;
      out->append(buffer, static_cast<size_t>(n));
    }
  }
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, WNOHANG);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) return -1;
    if (late || left() == 0) {
      std::cerr << "automon-agent: " << args[0] << " still running after " << limit.count() / 1000.0
                << " s; killed\n";
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      return -1;
    }
    std::this_thread::sleep_for(std::min<milliseconds>(milliseconds(left()), milliseconds(50)));
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

class ChildHooks final : public automon::agent::WatchHooks {
 public:
  ChildHooks(std::string agent, std::optional<std::string> config,
             std::optional<std::string> admindir, milliseconds limit)
      : agent_(std::move(agent)),
        config_(std::move(config)),
        admindir_(std::move(admindir)),
        limit_(limit) {}

  PushOutcome Push() override {
    std::vector<std::string> args = Base();
    args.insert(args.end(), {"push", "--daemon", "1"});
    if (admindir_) args.insert(args.end(), {"--dpkg-admindir", *admindir_});
    std::cout.flush();
    switch (Spawn(args, nullptr, limit_)) {
      case 0:
        return PushOutcome::kOk;
      case 75:
        return PushOutcome::kNobodyYet;
      case 76:
        return PushOutcome::kNobodyEver;
      default:
        return PushOutcome::kFailed;
    }
  }

  std::optional<WatchPlan> Reload() override {
    std::vector<std::string> args = Base();
    args.insert(args.end(), {"run", "--plan", "1"});
    std::string out;
    if (Spawn(args, &out, limit_) != 0) return std::nullopt;
    WatchPlan plan;
    bool directory = false, idle = false;
    bool bad_job = false;
    size_t start = 0;
    while (start < out.size()) {
      const size_t end = out.find('\n', start);
      const std::string line = out.substr(start, end - start);
      start = end == std::string::npos ? out.size() : end + 1;
      if (line.rfind("directory=", 0) == 0) {
        plan.directory = line.substr(10);
        directory = true;
      } else if (line.rfind("idle=", 0) == 0) {
        plan.idle = line == "idle=1";
        idle = true;
      } else if (line.rfind("services=", 0) == 0) {
        plan.services = automon::ParseInteger<size_t>(line.substr(9)).value_or(0);
      } else if (line.rfind("host=", 0) == 0) {
        plan.host = line.substr(5);
      } else if (line.rfind("state_dir=", 0) == 0) {
        plan.state_dir = line.substr(10);
      } else if (line.rfind("job=", 0) == 0) {
        auto job = automon::agent::ParseJob(line.substr(4));
        if (job) {
          plan.jobs.push_back(std::move(*job));
        } else {
          std::cerr << "automon-agent: " << job.error().message << '\n';
          bad_job = true;
        }
      }
    }
    if (!directory || !idle || bad_job) return std::nullopt;
    return plan;
  }

  std::optional<WatchPlan> Refresh() override { return Reload(); }

  std::vector<std::string> FlushCommand() override {
    std::vector<std::string> args = Base();
    args.push_back("results-flush");
    return args;
  }

 private:
  std::vector<std::string> Base() const {
    std::vector<std::string> args = {agent_};
    if (config_) args.insert(args.end(), {"--config", *config_});
    return args;
  }

  std::string agent_;
  std::optional<std::string> config_;
  std::optional<std::string> admindir_;
  milliseconds limit_;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    std::map<std::string, std::string> options;
    for (int i = 1; i + 1 < argc; i += 2) {
      const std::string name = argv[i];
      if (name.rfind("--", 0) != 0) break;
      options[name.substr(2)] = argv[i + 1];
    }
    auto get = [&](const std::string& name) -> std::optional<std::string> {
      auto it = options.find(name);
      if (it == options.end()) return std::nullopt;
      return it->second;
    };
    if (!get("agent") || argc % 2 == 0) {
      std::cerr << "usage: automon-agent-run --agent PATH [--config FILE] [--dpkg-admindir DIR] "
                   "[--debounce MS] [--start-jitter S] [--retry-base MS] [--rescan S]\n"
                   "(started by automon-agent run; see automon-agent(8))\n";
      return 2;
    }
    auto timings =
        automon::agent::ParseTimings([&](std::string_view name) { return get(std::string(name)); });
    if (!timings) {
      std::cerr << "automon-agent: " << timings.error().message << '\n';
      return 2;
    }
    // --child-limit MS: for tests; kChildLimit otherwise.
    milliseconds limit = kChildLimit;
    if (auto ms = get("child-limit")) {
      const auto n = automon::ParseInteger<int64_t>(*ms, 0, INT64_MAX / 1000);
      if (!n) {
        std::cerr << "automon-agent: invalid --child-limit: " << n.error().message << '\n';
        return 2;
      }
      limit = milliseconds(*n);
    }
    ChildHooks hooks(*get("agent"), get("config"), get("dpkg-admindir"), limit);
    auto plan = hooks.Reload();
    if (!plan) return 1;  // the child said why
    return automon::agent::RunWatchLoop(*plan, get("dpkg-admindir").value_or("/var/lib/dpkg"),
                                        *timings, hooks, std::cerr);
  } catch (const std::exception& e) {
    std::cerr << "automon-agent: error: " << e.what() << '\n';
    return 1;
  }
}
