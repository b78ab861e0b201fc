// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/avahi/announcer.h"

#include <avahi-common/error.h>
#include <avahi-common/timeval.h>
#include <fmt/format.h>

#include <mutex>

#include "common/avahi/handles.h"
#include "common/avahi/publisher.h"

namespace automon::avahi {
namespace {

// The real entry group, for Publish().
class RealEntryGroup final : public EntryGroupApi {
 public:
  RealEntryGroup(AvahiEntryGroup* group, int interface) : group_(group), interface_(interface) {}
  int AddService(const std::string& name, int port, const std::vector<std::string>& txt) override {
    AvahiStringList* list = nullptr;
    // avahi_string_list_add prepends; add in reverse to keep our order.
    for (auto it = txt.rbegin(); it != txt.rend(); ++it) {
      list = avahi_string_list_add(list, it->c_str());
    }
    const int r = avahi_entry_group_add_service_strlst(
        group_, interface_ == 0 ? AVAHI_IF_UNSPEC : AvahiIfIndex(interface_), AVAHI_PROTO_UNSPEC,
        AvahiPublishFlags(0), name.c_str(), std::string(kServiceType).c_str(), nullptr, nullptr,
        static_cast<uint16_t>(port), list);
    avahi_string_list_free(list);
    return r;
  }
  int Commit() override { return avahi_entry_group_commit(group_); }
  int Reset() override { return avahi_entry_group_reset(group_); }

 private:
  AvahiEntryGroup* group_;
  int interface_;
};

}  // namespace

// Lives on the heap at a fixed address: Avahi's callbacks hold `this`.
// Everything below except name() runs on the Avahi thread or under its lock.
class Announcer::Impl {
 public:
  Impl(Announcement a, Log log, std::chrono::milliseconds retry)
      : announcement_(std::move(a)), log_(std::move(log)), retry_(retry) {}

  ~Impl() {
    if (poll_) avahi_threaded_poll_stop(poll_.get());
    // Group before client (the client frees its groups), then the poll.
    group_.reset();
    client_.reset();
    if (timer_ != nullptr) avahi_threaded_poll_get(poll_.get())->timeout_free(timer_);
    poll_.reset();
  }

  Result<void> Start() {
    poll_.reset(avahi_threaded_poll_new());
    if (!poll_) return Error{"avahi_threaded_poll_new failed"};
    Connect();
    if (avahi_threaded_poll_start(poll_.get()) < 0) {
      return Error{"avahi_threaded_poll_start: cannot start the Avahi thread"};
    }
    return {};
  }

  std::string name() const {
    std::lock_guard lock(name_mutex_);
    return published_;
  }

 private:
  void SetPublished(std::string name) {
    std::lock_guard lock(name_mutex_);
    published_ = std::move(name);
  }

  void Warn(const std::string& why) {
    if (warned_) return;
    warned_ = true;
    log_(fmt::format(
        "warning: {}; serving without the mDNS announcement (agents with 'registrar = auto' "
        "will not find this registrar until avahi-daemon runs; it is announced as soon as it "
        "does)",
        why));
  }

  void Connect() {
    int error = 0;
    AvahiClient* c = avahi_client_new(avahi_threaded_poll_get(poll_.get()), AVAHI_CLIENT_NO_FAIL,
                                      &Impl::OnClient, this, &error);
    if (c == nullptr) {
      // No system D-Bus: NO_FAIL does not help here; try again later.
      Warn(fmt::format("cannot reach avahi-daemon over D-Bus ({})", avahi_strerror(error)));
      Arm();
      return;
    }
    client_.reset(c);
  }

  void Arm() {
    const AvahiPoll* api = avahi_threaded_poll_get(poll_.get());
    timeval tv;
    avahi_elapse_time(&tv, static_cast<unsigned>(retry_.count()), 0);
    if (timer_ == nullptr) {
      timer_ = api->timeout_new(api, &tv, &Impl::OnTimer, this);
    } else {
      api->timeout_update(timer_, &tv);
    }
  }

  static void OnTimer(AvahiTimeout*, void* self) {
    auto* impl = static_cast<Impl*>(self);
    avahi_threaded_poll_get(impl->poll_.get())->timeout_update(impl->timer_, nullptr);
    if (!impl->client_) {
      impl->Connect();
    } else if (avahi_client_get_state(impl->client_.get()) == AVAHI_CLIENT_S_RUNNING) {
      // A publication that failed: withdraw what is left of it, again.
      if (impl->group_) avahi_entry_group_reset(impl->group_.get());
      impl->Publish(impl->client_.get());
    }
  }

  // Says `why` a publication failed (once until it changes or succeeds)
  // and tries again after the retry period.
  void Failed(const std::string& why) {
    if (why != failure_) log_(why);
    failure_ = why;
    Arm();
  }

  static void OnClient(AvahiClient* c, AvahiClientState state, void* self) {
    static_cast<Impl*>(self)->Client(c, state);
  }

  void Client(AvahiClient* c, AvahiClientState state) {
    switch (state) {
      case AVAHI_CLIENT_S_RUNNING:
        if (announcement_.name.empty()) {
          announcement_.name = InstanceName(avahi_client_get_host_name(c));
        }
        if (warned_) {
          log_("avahi-daemon is reachable now");
          warned_ = false;
        }
        Publish(c);
        break;
      case AVAHI_CLIENT_S_COLLISION:
      case AVAHI_CLIENT_S_REGISTERING:
        // The host name changes: withdraw, publish again on S_RUNNING.
        if (group_) avahi_entry_group_reset(group_.get());
        SetPublished("");
        break;
      case AVAHI_CLIENT_CONNECTING:
        Warn("avahi-daemon is not running");
        break;
      case AVAHI_CLIENT_FAILURE: {
        const int error = avahi_client_errno(c);
        SetPublished("");
        log_(fmt::format("avahi-daemon connection lost ({}); announcing again when it is back",
                         avahi_strerror(error)));
        // Said that; no second warning while it is away.
        warned_ = true;
        // The client and everything it owns are dead: free and start over.
        group_.reset();
        client_.reset();
        Connect();
        break;
      }
    }
  }

  void Publish(AvahiClient* c) {
    if (!group_) {
      group_.reset(avahi_entry_group_new(c, &Impl::OnGroup, this));
      if (!group_) {
        Failed(fmt::format("avahi_entry_group_new: {}", avahi_strerror(avahi_client_errno(c))));
        return;
      }
    }
    if (!avahi_entry_group_is_empty(group_.get())) return;
    RealEntryGroup group(group_.get(), announcement_.interface);
    auto name = avahi::Publish(group, announcement_);
    if (!name) {
      Failed(name.error().message);
      return;
    }
    if (*name != announcement_.name) {
      log_(fmt::format("service name '{}' is taken on this host; using '{}'", announcement_.name,
                       *name));
      announcement_.name = *name;
    }
  }

  static void OnGroup(AvahiEntryGroup* g, AvahiEntryGroupState state, void* self) {
    static_cast<Impl*>(self)->Group(g, state);
  }

  void Group(AvahiEntryGroup* g, AvahiEntryGroupState state) {
    switch (state) {
      case AVAHI_ENTRY_GROUP_ESTABLISHED:
        failure_.clear();
        SetPublished(announcement_.name);
        log_(fmt::format("announced '{}' ({} port {})", announcement_.name, kServiceType,
                         announcement_.port));
        break;
      case AVAHI_ENTRY_GROUP_COLLISION: {
        // Another host on the link uses the name.
        const std::string next = AlternativeName(announcement_.name);
        log_(fmt::format("service name '{}' is taken on the network; using '{}'",
                         announcement_.name, next));
        announcement_.name = next;
        SetPublished("");
        avahi_entry_group_reset(g);
        Publish(avahi_entry_group_get_client(g));
        break;
      }
      case AVAHI_ENTRY_GROUP_FAILURE:
        SetPublished("");
        Failed(fmt::format("announcement failed: {}; trying again in {} s",
                           avahi_strerror(avahi_client_errno(avahi_entry_group_get_client(g))),
                           retry_.count() / 1000.0));
        break;
      case AVAHI_ENTRY_GROUP_UNCOMMITED:
      case AVAHI_ENTRY_GROUP_REGISTERING:
        break;
    }
  }

  Announcement announcement_;
  Log log_;
  std::chrono::milliseconds retry_;
  ThreadedPollPtr poll_;
  ClientPtr client_;
  EntryGroupPtr group_;
  AvahiTimeout* timer_ = nullptr;  // owned by the poll
  bool warned_ = false;
  std::string failure_;  // the last publication failure said
  mutable std::mutex name_mutex_;
  std::string published_;
};

Announcer::Announcer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Announcer::~Announcer() = default;

Result<std::unique_ptr<Announcer>> Announcer::Start(Announcement a, Log log,
                                                    std::chrono::milliseconds retry) {
  if (auto txt = BuildTxt(a); !txt) return txt.error();
  auto impl = std::make_unique<Impl>(std::move(a), std::move(log), retry);
  if (auto started = impl->Start(); !started) return started.error();
  return std::unique_ptr<Announcer>(new Announcer(std::move(impl)));
}

std::string Announcer::name() const { return impl_->name(); }

}  // namespace automon::avahi
