// SPDX-License-Identifier: GPL-2.0-or-later
// automon-agent run: the daemon (DESIGN.md §4). It pushes the snapshot to
// every registrar at start (after a random delay, so a fleet booting
// together does not arrive together), again a short debounce after any
// change under the definitions directory or to dpkg's status file (an apt
// transaction dropping many files gives one push), and once per rescan
// period; a failed push is retried with exponential backoff and jitter.
// SIGHUP re-reads agent.conf and pushes; SIGTERM and SIGINT stop. The loop
// itself is agent/watch.cc.
//
// To idle small, `run` hands over to automon-agent-run (watch_main.cc), a
// program that links neither libssh nor OpenSSL nor Avahi, and runs each
// push as a child `automon-agent push --daemon 1`; when that program is
// not installed, the same loop runs here, in process.
//
// With `registrar = auto` it looks for registrars (a short mDNS browse)
// only when a push is due, and keeps no Avahi connection in between: an
// idle agent wakes for nothing but inotify, signals and its rescan timer.
// When avahi-daemon answers but no registrar is announced, it looks again
// with the same backoff as a failed push; when avahi-daemon is not there
// at all it says so once and waits for a change, the rescan or SIGHUP.
#include <fmt/format.h>
#include <limits.h>
#include <unistd.h>

#include <sstream>
#include <string>
#include <vector>

#include "agent/command_context.h"
#include "agent/jobs.h"
#include "agent/spool.h"
#include "agent/watch.h"
#include "formats/command_line.h"

#ifndef AUTOMON_LIBEXECDIR
#define AUTOMON_LIBEXECDIR "/usr/libexec"
#endif

namespace automon::agent::internal {
namespace {

using std::chrono::milliseconds;

constexpr std::string_view kRunOptions[] = {"dpkg-admindir", "debounce", "start-jitter",
                                            "retry-base", "rescan"};

// What the loop does: watch the directory, and run the local checks of
// the services a push would register (quietly: a push says what is wrong
// with the definitions). Writes the checks' freshness for the delivering
// child.
WatchPlan PlanOf(Context& ctx) {
  WatchPlan plan;
  plan.directory = Directory(ctx);
  plan.idle = (ctx.config.registrars.empty() && !ctx.config.discover) || !ctx.config.enabled;
  if (plan.idle) return plan;
  std::ostringstream quiet;
  Environment env = ctx.env;
  Environment quiet_env{env.fs, quiet, quiet, env.host_name, env.now, env.remotes, env.discovery};
  Context quiet_ctx{quiet_env,           ctx.config,    ctx.line,    ctx.config_path,
                    ctx.explicit_config, ctx.discovery, ctx.targets, ctx.discovery_notice};
  int exit_code = kExitOk;
  auto snapshot = BuildSnapshot(quiet_ctx, &exit_code);
  if (!snapshot) return plan;
  plan.jobs = JobsFor(*snapshot);
  plan.services = snapshot->services.size();
  plan.host = snapshot->host;
  plan.state_dir = ctx.config.state_dir;
  if (!plan.jobs.empty() && ctx.env.fs.MakeDirectories(ctx.config.state_dir + "/passive", 0700)) {
    (void)ctx.env.fs.WriteFileAtomic(FreshnessPath(ctx.config.state_dir),
                                     SerializeFreshness(FreshnessFor(*snapshot)), 0600);
  }
  return plan;
}

// The command that delivers results: this program's results-flush.
std::vector<std::string> FlushCommandOf(const Context& ctx, const std::string& self) {
  std::vector<std::string> args = {self};
  if (ctx.explicit_config) args.insert(args.end(), {"--config", ctx.config_path});
  args.push_back("results-flush");
  return args;
}

std::string SelfPath() {
  char buffer[PATH_MAX] = {};
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  return n > 0 ? std::string(buffer, static_cast<size_t>(n)) : std::string();
}

class InProcessHooks final : public WatchHooks {
 public:
  explicit InProcessHooks(Context& ctx) : ctx_(ctx) {}
  PushOutcome Push() override {
    const int pushed = internal::Push(ctx_);
    ctx_.env.out.flush();
    if (pushed == kExitOk && ctx_.targets == 0) {
      if (ctx_.discovery == DiscoveryOutcome::kNoneFound) return PushOutcome::kNobodyYet;
      if (ctx_.discovery == DiscoveryOutcome::kUnreachable) return PushOutcome::kNobodyEver;
    }
    return pushed == kExitOk ? PushOutcome::kOk : PushOutcome::kFailed;
  }
  std::optional<WatchPlan> Reload() override {
    ctx_.env.err << "automon-agent: reading " << ctx_.config_path << '\n';
    if (!LoadConfig(ctx_)) return std::nullopt;
    return PlanOf(ctx_);
  }
  std::optional<WatchPlan> Refresh() override { return PlanOf(ctx_); }
  std::vector<std::string> FlushCommand() override { return FlushCommandOf(ctx_, SelfPath()); }

 private:
  Context& ctx_;
};

// automon-agent-run next to this program (a build tree, or a package that
// installs both in one place), else in the libexec directory.
std::optional<std::string> FindWatcher(std::string* self) {
  char buffer[PATH_MAX] = {};
  const ssize_t n = ::readlink("/proc/self/exe", buffer, sizeof buffer - 1);
  if (n <= 0) return std::nullopt;
  *self = std::string(buffer, static_cast<size_t>(n));
  const std::string beside = self->substr(0, self->rfind('/') + 1) + "automon-agent-run";
  for (const std::string& path :
       {beside, std::string(AUTOMON_LIBEXECDIR "/automon/automon-agent-run")}) {
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return std::nullopt;
}

}  // namespace

int RunDaemon(Context& ctx) {
  if (Option(ctx, "plan")) {
    // For automon-agent-run: what the configuration says, one key a line.
    const WatchPlan plan = PlanOf(ctx);
    ctx.env.out << "directory=" << plan.directory << "\nidle=" << (plan.idle ? 1 : 0) << '\n';
    ctx.env.out << "services=" << plan.services << "\nhost=" << plan.host
                << "\nstate_dir=" << plan.state_dir << '\n';
    for (const Job& job : plan.jobs) ctx.env.out << "job=" << FormatJob(job) << '\n';
    return kExitOk;
  }
  // Checked here, before handing over, so a mistyped value is a usage
  // error of this command whichever process runs the loop.
  auto timings = ParseTimings([&](std::string_view name) { return Option(ctx, name); });
  if (!timings) {
    ctx.env.err << "automon-agent: " << timings.error().message << '\n';
    return kExitUsage;
  }
  std::string self;
  if (Option(ctx, "in-process").value_or("0") != "1") {
    if (auto watcher = FindWatcher(&self)) {
      std::vector<std::string> args = {*watcher, "--agent", self};
      if (ctx.explicit_config) args.insert(args.end(), {"--config", ctx.config_path});
      for (std::string_view name : kRunOptions) {
        if (auto value = Option(ctx, name))
          args.insert(args.end(), {"--" + std::string(name), *value});
      }
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      ctx.env.out.flush();
      ctx.env.err.flush();
      ::execv(argv[0], argv.data());
      ctx.env.err << fmt::format("automon-agent: cannot run {} ({}); running in process\n",
                                 *watcher, std::strerror(errno));
    }
  }
  InProcessHooks hooks(ctx);
  return RunWatchLoop(PlanOf(ctx), Option(ctx, "dpkg-admindir").value_or("/var/lib/dpkg"), *timings,
                      hooks, ctx.env.err) == 0
             ? kExitOk
             : kExitErrors;
}

}  // namespace automon::agent::internal
