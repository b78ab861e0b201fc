// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/scheduler.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/parse_integer.h"
#include "common/unique_fd.h"
#include "formats/command_line.h"

namespace automon::agent {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

std::string Basename(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// Keeps output + long output + perfdata within what a result may carry,
// shortening the long output first, then the perfdata, then the output.
void Fit(formats::PassiveResult& r) {
  auto total = [&] { return r.output.size() + r.long_output.size() + r.perfdata.size(); };
  if (total() <= formats::kMaxResultBytes) return;
  const std::string_view note = "\n(truncated)";
  const size_t room = formats::kMaxResultBytes - note.size();
  const size_t fixed = r.output.size() + r.perfdata.size();
  if (fixed < room) {
    r.long_output.resize(room - fixed);
    r.long_output += note;
    return;
  }
  r.long_output.clear();
  if (r.output.size() < room) {
    r.perfdata.resize(room - r.output.size());
    return;
  }
  r.perfdata.clear();
  r.output.resize(room);
}

}  // namespace

std::string FormatJob(const Job& job) {
  std::vector<std::string> words = {job.name,
                                    std::to_string(job.interval.count()),
                                    std::to_string(job.timeout.count()),
                                    std::to_string(job.max_instances),
                                    job.user.value_or("-"),
                                    job.schedule ? formats::ToString(*job.schedule) : "-"};
  words.insert(words.end(), job.argv.begin(), job.argv.end());
  return formats::JoinCommandLine(words);
}

Result<Job> ParseJob(std::string_view line) {
  auto words = formats::SplitCommandLine(line);
  if (!words) return Error{"invalid job line: " + words.error().message};
  if (words->size() < 7) return Error{fmt::format("invalid job line: {} words", words->size())};
  const std::vector<std::string>& w = *words;
  Job job;
  job.name = w[0];
  const auto interval = ParseInteger<int64_t>(w[1], 1, 86400 * 366);
  const auto timeout = ParseInteger<int64_t>(w[2], 1, 86400 * 366);
  const auto instances = ParseInteger<int>(w[3], 1, 64);
  if (!interval || !timeout || !instances) return Error{"invalid job line: bad number"};
  job.interval = seconds(*interval);
  job.timeout = seconds(*timeout);
  job.max_instances = *instances;
  if (w[4] != "-") job.user = w[4];
  if (w[5] != "-") {
    auto schedule = formats::ParseSchedule(w[5]);
    if (!schedule) return Error{"invalid job line: " + schedule.error().message};
    job.schedule = *schedule;
  }
  job.argv.assign(w.begin() + 6, w.end());
  if (job.argv.front().empty() || job.argv.front().front() != '/') {
    return Error{"invalid job line: the program is not an absolute path"};
  }
  return job;
}

int64_t RealSchedulerClock::WallSeconds() { return static_cast<int64_t>(std::time(nullptr)); }

std::tm RealSchedulerClock::LocalTime() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  return tm;
}

// ---------------------------------------------------------------------------
// RealLauncher

struct RealLauncher::Child {
  pid_t pid = -1;
  UniqueFd out;    // read end of the child's stdout
  UniqueFd pidfd;  // readable when the child ends; invalid on old kernels
  SteadyTime deadline;
  std::string output;
  bool truncated = false;
  bool eof = false;
  bool killed = false;
  bool reaped = false;
  int status = 0;

  // Reads what the pipe holds now, keeping at most kMaxChildOutput bytes.
  void Drain() {
    if (eof || !out.valid()) return;
    char buffer[16384];
    for (;;) {
      const ssize_t n = ::read(out.get(), buffer, sizeof buffer);
      if (n > 0) {
        const size_t keep = std::min(static_cast<size_t>(n), kMaxChildOutput - output.size());
        output.append(buffer, keep);
        if (keep < static_cast<size_t>(n)) truncated = true;
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n == 0 || (n < 0 && errno != EAGAIN)) {
        eof = true;
        out.Reset();
      }
      return;
    }
  }
};

RealLauncher::RealLauncher() = default;

RealLauncher::~RealLauncher() {
  for (auto& [id, child] : children_) {
    if (child->reaped) continue;
    ::kill(-child->pid, SIGKILL);
    int status = 0;
    while (::waitpid(child->pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

Result<uint64_t> RealLauncher::Start(const Job& job, const std::optional<std::string>& user) {
  // Everything the child needs is prepared before fork: after it, the
  // child only makes system calls.
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  if (user) {
    errno = 0;
    const passwd* pw = ::getpwnam(user->c_str());
    if (pw == nullptr) {
      return Error{errno != 0 ? SystemError("getpwnam", errno, *user).message
                              : fmt::format("user '{}' does not exist", *user)};
    }
    uid = pw->pw_uid;
    gid = pw->pw_gid;
    int count = 64;
    groups.resize(static_cast<size_t>(count));
    if (::getgrouplist(user->c_str(), gid, groups.data(), &count) < 0) {
      groups.resize(static_cast<size_t>(count));
      ::getgrouplist(user->c_str(), gid, groups.data(), &count);
    }
    groups.resize(static_cast<size_t>(std::max(count, 0)));
  }
  std::vector<std::string> args = job.argv;
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::string path_env(kChildPath);
  char* envp[] = {path_env.data(), nullptr};
  const std::string exec_failed = fmt::format("cannot execute {}: ", job.argv.front());

  UniqueFd devnull(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (!devnull.valid()) return SystemError("open", errno, "/dev/null");
  int fds[2] = {-1, -1};
  if (::pipe2(fds, O_CLOEXEC) != 0) return SystemError("pipe2", errno, job.name);
  UniqueFd read_end(fds[0]), write_end(fds[1]);
  ::fcntl(read_end.get(), F_SETFL, O_NONBLOCK);

  const pid_t pid = ::fork();
  if (pid < 0) return SystemError("fork", errno, job.argv.front());
  if (pid == 0) {
    ::setpgid(0, 0);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int sig : {SIGPIPE, SIGHUP, SIGINT, SIGTERM, SIGCHLD, SIGQUIT}) ::signal(sig, SIG_DFL);
    ::dup2(devnull.get(), 0);
    ::dup2(write_end.get(), 1);
    ::dup2(job.capture_stderr ? write_end.get() : devnull.get(), 2);
    auto fail = [&](std::string_view what) {
      const char* reason = std::strerror(errno);
      (void)!::write(1, what.data(), what.size());
      (void)!::write(1, reason, std::strlen(reason));
      ::_exit(3);  // UNKNOWN, with the reason as its output
    };
    if (user) {
      if (::setgroups(groups.size(), groups.data()) != 0) fail("cannot set the groups: ");
      if (::setgid(gid) != 0) fail("cannot set the group: ");
      if (::setuid(uid) != 0) fail("cannot set the user: ");
    }
    if (::chdir("/") != 0) fail("cannot change to /: ");
    ::syscall(SYS_close_range, 3U, ~0U, 0U);
    ::execve(argv[0], argv.data(), envp);
    fail(exec_failed);
  }
  ::setpgid(pid, pid);  // also here: no race with a kill right after
  write_end.Reset();
  auto child = std::make_unique<Child>();
  child->pid = pid;
  child->out = std::move(read_end);
  child->pidfd = UniqueFd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
  child->deadline = std::chrono::steady_clock::now() + job.timeout;
  const uint64_t id = next_id_++;
  children_.emplace(id, std::move(child));
  return id;
}

std::vector<std::pair<uint64_t, RunOutcome>> RealLauncher::Collect(SteadyTime now) {
  std::vector<std::pair<uint64_t, RunOutcome>> done;
  for (auto it = children_.begin(); it != children_.end();) {
    Child& c = *it->second;
    c.Drain();
    if (!c.reaped) {
      const pid_t r = ::waitpid(c.pid, &c.status, WNOHANG);
      if (r == c.pid) c.reaped = true;
    }
    if (!c.reaped && !c.killed && now >= c.deadline) {
      // The whole group: a plugin's own children must not outlive it.
      ::kill(-c.pid, SIGKILL);
      c.killed = true;
      // SIGKILL is quick; reap now when it already took, else the pidfd
      // wakes the loop.
      for (int i = 0; i < 20 && !c.reaped; ++i) {
        if (::waitpid(c.pid, &c.status, WNOHANG) == c.pid) {
          c.reaped = true;
        } else {
          ::usleep(1000);
        }
      }
    }
    if (!c.reaped) {
      ++it;
      continue;
    }
    c.Drain();  // what is left; a grandchild holding the pipe is not waited for
    RunOutcome outcome;
    outcome.output = std::move(c.output);
    outcome.truncated = c.truncated;
    if (c.killed) {
      outcome.kind = RunOutcome::Kind::kTimedOut;
    } else if (WIFEXITED(c.status)) {
      outcome.kind = RunOutcome::Kind::kExited;
      outcome.code = WEXITSTATUS(c.status);
    } else {
      outcome.kind = RunOutcome::Kind::kSignalled;
      outcome.code = WIFSIGNALED(c.status) ? WTERMSIG(c.status) : 0;
    }
    done.emplace_back(it->first, std::move(outcome));
    it = children_.erase(it);
  }
  return done;
}

std::vector<int> RealLauncher::PollFds() const {
  std::vector<int> fds;
  for (const auto& [id, c] : children_) {
    if (c->out.valid()) fds.push_back(c->out.get());
    if (c->pidfd.valid()) fds.push_back(c->pidfd.get());
  }
  return fds;
}

std::optional<SteadyTime> RealLauncher::NextDeadline() const {
  std::optional<SteadyTime> next;
  for (const auto& [id, c] : children_) {
    SteadyTime t = c->deadline;
    // Without a pidfd (or once killed), nothing says when it ends: look.
    if (!c->pidfd.valid() || c->killed) t = std::chrono::steady_clock::now() + milliseconds(100);
    if (!next || t < *next) next = t;
  }
  return next;
}

// ---------------------------------------------------------------------------

std::optional<std::string> EffectiveUser(
    const Job& job, uid_t euid, const std::function<bool(const std::string&)>& user_exists) {
  if (euid != 0) return std::nullopt;
  if (job.user) return job.user;
  return user_exists("nagios") ? std::string("nagios") : std::string("nobody");
}

formats::PassiveResult ResultOf(const Job& job, const RunOutcome& outcome, int64_t time) {
  formats::PassiveResult r;
  r.service = job.name;
  r.time = time;
  r.state = 3;
  const std::string program = Basename(job.argv.front());
  switch (outcome.kind) {
    case RunOutcome::Kind::kNotStarted:
      r.output = fmt::format("cannot run {}: {}", job.argv.front(), outcome.error);
      break;
    case RunOutcome::Kind::kTimedOut:
      r.output = fmt::format("timed out after {} s", job.timeout.count());
      break;
    case RunOutcome::Kind::kExited:
      formats::SplitPluginOutput(outcome.output, r);
      if (outcome.code >= 0 && outcome.code <= 3) {
        r.state = outcome.code;
        if (r.output.empty()) r.output = fmt::format("{} printed nothing", program);
      } else {
        r.output = fmt::format("{} exited with code {}, not 0-3{}{}", program, outcome.code,
                               r.output.empty() ? "" : ": ", r.output);
      }
      break;
    case RunOutcome::Kind::kSignalled: {
      formats::SplitPluginOutput(outcome.output, r);
      const char* name = ::sigabbrev_np(outcome.code);
      r.output = fmt::format("{} was killed by signal {}{}{}{}", program, outcome.code,
                             name != nullptr ? fmt::format(" (SIG{})", name) : "",
                             r.output.empty() ? "" : ": ", r.output);
      break;
    }
  }
  if (outcome.truncated) {
    r.long_output += fmt::format("{}(output cut at {} KiB)", r.long_output.empty() ? "" : "\n",
                                 kMaxChildOutput >> 10);
  }
  Fit(r);
  return r;
}

// ---------------------------------------------------------------------------
// Scheduler

Scheduler::Scheduler(SchedulerClock& clock, Launcher& launcher, std::function<double()> random,
                     std::function<std::optional<std::string>(const Job&)> user_of,
                     std::function<Result<void>(const Job&)> verify, std::ostream& log)
    : clock_(clock),
      launcher_(launcher),
      random_(std::move(random)),
      user_of_(std::move(user_of)),
      verify_(std::move(verify)),
      log_(log) {}

void Scheduler::SetJobs(std::vector<Job> jobs) {
  const SteadyTime now = clock_.Now();
  std::map<std::string, State> states;
  for (const Job& job : jobs) {
    auto old = states_.find(job.name);
    if (old != states_.end() && old->second.job == job) {
      states.emplace(job.name, old->second);
      continue;
    }
    State s{job, now, old != states_.end() ? old->second.running : 0};
    const auto splay = std::min<std::chrono::seconds>(job.interval, kMaxSplay);
    s.next = now + std::chrono::duration_cast<SteadyTime::duration>(
                       std::chrono::duration<double>(splay.count() * random_()));
    states.emplace(job.name, std::move(s));
  }
  states_ = std::move(states);
  jobs_ = std::move(jobs);
}

const std::vector<Job>& Scheduler::jobs() const { return jobs_; }

std::vector<formats::PassiveResult> Scheduler::Tick() {
  std::vector<formats::PassiveResult> results;
  const SteadyTime now = clock_.Now();
  for (auto& [id, outcome] : launcher_.Collect(now)) {
    auto run = runs_.find(id);
    if (run == runs_.end()) continue;
    ++counts_.finished;
    if (outcome.kind == RunOutcome::Kind::kTimedOut) ++counts_.timed_out;
    auto state = states_.find(run->second.name);
    if (state != states_.end()) {
      state->second.running = std::max(0, state->second.running - 1);
      results.push_back(ResultOf(run->second.job, outcome, clock_.WallSeconds()));
    }
    runs_.erase(run);
  }
  for (auto& entry : states_) {
    // A plain reference, not a structured binding: lambdas below capture it.
    const std::string& name = entry.first;
    State& s = entry.second;
    if (now < s.next) continue;
    const auto interval = std::chrono::duration_cast<SteadyTime::duration>(s.job.interval);
    auto advance = [&] {
      s.next += interval;
      if (s.next <= now) s.next = now + interval;  // after a suspend: no burst
    };
    if (s.job.schedule) {
      const std::tm local = clock_.LocalTime();
      if (!formats::Contains(*s.job.schedule, local)) {
        ++counts_.outside_window;
        // Look again at the start of the next minute, so that the first
        // run inside the window comes when it opens.
        s.next = now + seconds(60 - std::clamp(local.tm_sec, 0, 59));
        continue;
      }
    }
    if (s.running >= s.job.max_instances) {
      ++counts_.skipped_busy;
      log_ << fmt::format("automon-agent: {}: run skipped, {} still running (max_instances = {})\n",
                          name, s.running, s.job.max_instances);
      advance();
      continue;
    }
    advance();
    if (auto ok = verify_(s.job); !ok) {
      results.push_back(ResultOf(s.job,
                                 {RunOutcome::Kind::kNotStarted, 0, "", false, ok.error().message},
                                 clock_.WallSeconds()));
      continue;
    }
    auto id = launcher_.Start(s.job, user_of_(s.job));
    if (!id) {
      results.push_back(ResultOf(s.job,
                                 {RunOutcome::Kind::kNotStarted, 0, "", false, id.error().message},
                                 clock_.WallSeconds()));
      continue;
    }
    ++counts_.started;
    ++s.running;
    runs_.emplace(*id, Run{name, s.job});
  }
  return results;
}

std::optional<SteadyTime> Scheduler::NextWake() const {
  std::optional<SteadyTime> next = launcher_.NextDeadline();
  for (const auto& [name, s] : states_) {
    if (!next || s.next < *next) next = s.next;
  }
  return next;
}

}  // namespace automon::agent
