// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/ssh/serve.h"

#include <fmt/format.h>
#include <net/if.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <atomic>
#include <charconv>
#include <ctime>
#include <mutex>
#include <sstream>
#include <thread>

#include "common/avahi/announcer.h"
#include "common/ssh/key.h"
#include "registrar/backend.h"
#include "registrar/registrar.h"
#include "registrar/ssh/lifecycle_timer.h"
#include "registrar/store.h"

namespace automon::registrar::ssh {

Reply RegistrarActions::Register(const std::string& host, const std::string& snapshot) {
  std::istringstream in(snapshot);
  std::ostringstream out, err;
  Environment env{fs_, disk_, runner_, now_, in, out, err, nullptr, log_};
  Registrar registrar(config_, env);
  const int status = registrar.Receive(host);
  return {status, out.str(), err.str()};
}

Reply RegistrarActions::Deregister(const std::string& host) {
  std::istringstream in;
  std::ostringstream out, err;
  Environment env{fs_, disk_, runner_, now_, in, out, err, nullptr, log_};
  Registrar registrar(config_, env);
  // The host's own key asked: remove without a tombstone, so that the
  // host may register again later (a tombstone is for administrators).
  const int status = registrar.Deregister(host);
  return {status, out.str(), err.str()};
}

Reply RegistrarActions::Results(const std::string& host, const std::string& document) {
  ResultsHandler* handler = nullptr;
  {
    std::lock_guard lock(results_mutex_);
    if (!results_) {
      writer_ = MakeResultWriter(config_, fs_);
      results_ = std::make_unique<ResultsHandler>(
          [this](const std::string& name) -> Result<std::optional<formats::Snapshot>> {
            HostStore store(fs_, disk_, config_.state_dir, "");
            return store.Load(name);
          },
          *writer_, [] { return static_cast<int64_t>(std::time(nullptr)); });
    }
    handler = results_.get();
  }
  const ResultsReply reply = handler->Handle(host, document);
  // Results the host could send (its own, well-formed) are a sign of
  // life for the lifecycle, recorded at most once a minute per host.
  if (reply.status != 2 && DueForContact(host)) {
    std::istringstream in;
    std::ostringstream out, err;
    Environment env{fs_, disk_, runner_, now_, in, out, err, nullptr, log_};
    Registrar registrar(config_, env);
    if (auto c = registrar.RecordContact(host); !c) {
      log_(fmt::format("{}: contact not recorded: {}", host, c.error().message));
    }
  }
  return {reply.status, reply.output, reply.log + "\n"};
}

bool RegistrarActions::DueForContact(const std::string& host) {
  const auto now = std::chrono::steady_clock::now();
  std::lock_guard lock(contact_mutex_);
  auto [it, inserted] = last_contact_.try_emplace(host, now);
  if (!inserted && now - it->second < std::chrono::seconds(60)) return false;
  it->second = now;
  if (last_contact_.size() > 100000) last_contact_.clear();  // bounded
  return true;
}

UniqueFd RegistrarActions::Arriving() {
  HostStore store(fs_, disk_, config_.state_dir, "");
  auto lock = disk_.LockShared(store.arrivals_lock_path());
  return lock ? std::move(*lock) : UniqueFd();
}

int Serve(const Config& config, const ServeDependencies& deps, const ServeOptions& serve_options) {
  std::mutex log_mutex;
  auto log = [&](const std::string& line) {
    std::lock_guard lock(log_mutex);
    deps.log << "automon-registrar: " << line << std::endl;
  };
  auto listen = ParseListen(config.listen);
  if (!listen) {
    log(listen.error().message);
    return 1;
  }
  if (auto made = deps.fs.MakeDirectories(config.state_dir, 0755); !made) {
    log(made.error().message);
    return 1;
  }
  bool created = false;
  const std::string key_path = config.state_dir + "/ssh_host_ed25519_key";
  auto host_key = automon::ssh::LoadOrCreate(deps.fs, key_path, &created);
  if (!host_key) {
    log(host_key.error().message);
    return 1;
  }
  auto fingerprint = automon::ssh::Fingerprint(*host_key);
  if (!fingerprint) {
    log(fingerprint.error().message);
    return 1;
  }
  if (created) log(fmt::format("created host key {} ({})", key_path, *fingerprint));

  std::vector<Network> networks;
  for (const std::string& n : config.open_networks) {
    auto parsed = Network::Parse(n);
    if (!parsed) {
      log(fmt::format("invalid network '{}' in open_networks", n));
      return 1;
    }
    networks.push_back(*parsed);
  }
  Enrollment enrollment(deps.fs, deps.disk, config.state_dir, config.enrollment, networks,
                        {deps.now_iso8601, deps.now_unix}, log);
  if (auto init = enrollment.Initialise(); !init) {
    log(init.error().message);
    return 1;
  }
  RegistrarActions actions(config, deps.fs, deps.disk, deps.runner, deps.now_iso8601, log);
  RegistrarService service(enrollment, actions, "automon-registrar " + deps.version);

  // SIGTERM and SIGINT stop the daemon: block them here, before any thread
  // starts, so that only the watcher below ever receives them.
  sigset_t stop_signals, previous;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);

  // Each connection, waiting or served, is a socket: let the server hold
  // as many as the system allows this process (the soft limit is often
  // 1024, less than max_waiting + max_connections).
  if (rlimit files{}; ::getrlimit(RLIMIT_NOFILE, &files) == 0 && files.rlim_cur < files.rlim_max) {
    files.rlim_cur = files.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &files);
  }
  Options options;
  options.address = listen->first;
  options.port = listen->second;
  options.log = log;
  auto server = Server::Listen(options, *host_key, service);
  if (!server) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    log(server.error().message);
    return 1;
  }
  log(fmt::format("listening on {}:{}, host key {}, enrollment {}", options.address,
                  (*server)->port(), *fingerprint, PolicyName(config.enrollment)));
  // Announced only once the port really listens, withdrawn before it stops.
  std::unique_ptr<avahi::Announcer> announcer;
  if (serve_options.announce) {
    avahi::Announcement announcement{"", (*server)->port(), *fingerprint,
                                     std::string(backends::BackendName(config.backend)), 0};
    // Listening on one address: announce on its interface only, never to
    // a network where nobody can reach it (loopback: loopback only).
    const avahi::InterfaceChoice where = avahi::ChooseInterface(
        options.address, avahi::InterfaceOwning,
        [](const std::string& name) { return if_nametoindex(name.c_str()); });
    if (!where.interface) {
      log("warning: " + where.warning);
    } else {
      announcement.interface = *where.interface;
      auto started = avahi::Announcer::Start(std::move(announcement), log);
      if (!started) {
        log("warning: no mDNS announcement: " + started.error().message);
      } else {
        announcer = std::move(*started);
      }
    }
  }
  // The lifecycle's one timer (and the self-check's status file), from now
  // until the server stops: the grace period counts from here.
  std::optional<LifecycleTimer> lifecycle;
  lifecycle.emplace(config, deps, log);
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    const timespec tick{0, 200'000'000};
    while (!done) {
      const int signal = sigtimedwait(&stop_signals, nullptr, &tick);
      if (signal > 0) {
        log(fmt::format("stopping on signal {}", signal));
        (*server)->Stop();
        return;
      }
    }
  });
  (*server)->Serve();
  lifecycle.reset();
  announcer.reset();
  done = true;
  watcher.join();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  log(fmt::format("stopped after {} connections", (*server)->served()));
  return 0;
}

}  // namespace automon::registrar::ssh
