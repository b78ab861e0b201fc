// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/avahi/browser.h"

#include <avahi-common/address.h>
#include <avahi-common/error.h>
#include <avahi-common/malloc.h>
#include <avahi-common/timeval.h>
#include <fmt/format.h>
#include <net/if.h>

#include <map>
#include <set>

static_assert(automon::avahi::kNoDaemon == AVAHI_ERR_NO_DAEMON);

#include "common/avahi/handles.h"

namespace automon::avahi {
namespace {

struct Lookup {
  AvahiSimplePoll* poll = nullptr;
  AvahiClient* client = nullptr;
  std::string type;
  bool all_for_now = false;
  bool timed_out = false;
  std::set<std::string> enough;  // fingerprints that end the wait once all answered
  bool early = false;
  std::string failure;
  // One resolver per (interface, protocol, name) the browser reported.
  std::map<AvahiServiceResolver*, ServiceResolverPtr> resolvers;
  std::set<std::string> seen;
  std::map<std::string, Found> found;  // by instance name; IPv4 wins

  void MaybeQuit() {
    if (timed_out || !failure.empty() || (all_for_now && resolvers.empty())) {
      avahi_simple_poll_quit(poll);
      return;
    }
    if (!enough.empty() && !all_for_now) {
      std::vector<Found> so_far;
      for (const auto& [name, f] : found) so_far.push_back(f);
      if (AnnouncesEvery(so_far, enough)) {
        early = true;
        avahi_simple_poll_quit(poll);
      }
    }
  }
};

std::vector<std::string> TxtStrings(AvahiStringList* txt) {
  std::vector<std::string> strings;
  for (AvahiStringList* l = txt; l != nullptr; l = avahi_string_list_get_next(l)) {
    strings.emplace_back(reinterpret_cast<const char*>(avahi_string_list_get_text(l)),
                         avahi_string_list_get_size(l));
  }
  return strings;
}

void OnResolved(AvahiServiceResolver* r, AvahiIfIndex interface, AvahiProtocol,
                AvahiResolverEvent event, const char* name, const char*, const char*,
                const char* host_name, const AvahiAddress* address, uint16_t port,
                AvahiStringList* txt, AvahiLookupResultFlags, void* data) {
  auto* lookup = static_cast<Lookup*>(data);
  if (event == AVAHI_RESOLVER_FOUND && address != nullptr) {
    char text[AVAHI_ADDRESS_STR_MAX] = {};
    avahi_address_snprint(text, sizeof text, address);
    // Link-local IPv6 is reachable only with its interface: "%ifname".
    char ifname[IF_NAMESIZE] = {};
    const auto scoped = ScopedAddress(
        text, interface >= 0 && if_indextoname(static_cast<unsigned>(interface), ifname) != nullptr
                  ? ifname
                  : nullptr);
    if (!scoped) {
      lookup->resolvers.erase(r);
      lookup->MaybeQuit();
      return;
    }
    Found f{name, host_name != nullptr ? host_name : "", *scoped, port, ParseTxt(TxtStrings(txt))};
    const bool v4 = address->proto == AVAHI_PROTO_INET;
    auto it = lookup->found.find(f.name);
    // IPv4 is preferred all the same.
    if (it == lookup->found.end()) {
      lookup->found.emplace(f.name, std::move(f));
    } else if (v4 && it->second.address.find(':') != std::string::npos) {
      it->second = std::move(f);
    }
  }
  lookup->resolvers.erase(r);  // frees r: allowed inside its callback
  lookup->MaybeQuit();
}

void OnBrowse(AvahiServiceBrowser*, AvahiIfIndex interface, AvahiProtocol protocol,
              AvahiBrowserEvent event, const char* name, const char* type, const char* domain,
              AvahiLookupResultFlags, void* data) {
  auto* lookup = static_cast<Lookup*>(data);
  switch (event) {
    case AVAHI_BROWSER_NEW: {
      lookup->seen.insert(name);
      AvahiServiceResolver* r =
          avahi_service_resolver_new(lookup->client, interface, protocol, name, type, domain,
                                     protocol, AvahiLookupFlags(0), &OnResolved, lookup);
      if (r != nullptr) lookup->resolvers.emplace(r, ServiceResolverPtr(r));
      break;
    }
    case AVAHI_BROWSER_ALL_FOR_NOW:
      lookup->all_for_now = true;
      lookup->MaybeQuit();
      break;
    case AVAHI_BROWSER_FAILURE:
      lookup->failure = fmt::format("avahi_service_browser({}): {}", lookup->type,
                                    avahi_strerror(avahi_client_errno(lookup->client)));
      lookup->MaybeQuit();
      break;
    case AVAHI_BROWSER_REMOVE:
    case AVAHI_BROWSER_CACHE_EXHAUSTED:
      break;
  }
}

void OnClient(AvahiClient*, AvahiClientState state, void* data) {
  auto* lookup = static_cast<Lookup*>(data);
  if (state == AVAHI_CLIENT_FAILURE && lookup->client != nullptr) {
    lookup->failure = fmt::format("avahi-daemon connection lost: {}",
                                  avahi_strerror(avahi_client_errno(lookup->client)));
    lookup->MaybeQuit();
  }
}

void OnTimeout(AvahiTimeout*, void* data) {
  auto* lookup = static_cast<Lookup*>(data);
  lookup->timed_out = true;
  lookup->MaybeQuit();
}

}  // namespace

Result<BrowseResult> Browse(std::string_view type, std::chrono::milliseconds timeout,
                            const std::set<std::string>& enough) {
  SimplePollPtr poll(avahi_simple_poll_new());
  if (!poll) return Error{"avahi_simple_poll_new failed"};
  Lookup lookup;
  lookup.poll = poll.get();
  lookup.type = std::string(type);
  lookup.enough = enough;
  const AvahiPoll* api = avahi_simple_poll_get(poll.get());
  int error = 0;
  // No NO_FAIL: a command must not wait for a daemon that is not there.
  ClientPtr client(avahi_client_new(api, AvahiClientFlags(0), &OnClient, &lookup, &error));
  if (!client) {
    return Error{fmt::format("avahi-daemon is not reachable: {}", avahi_strerror(error)),
                 error == AVAHI_ERR_NO_DAEMON ? kNoDaemon : error};
  }
  lookup.client = client.get();
  ServiceBrowserPtr browser(avahi_service_browser_new(
      client.get(), AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, lookup.type.c_str(), nullptr,
      AvahiLookupFlags(0), &OnBrowse, &lookup));
  if (!browser) {
    return Error{fmt::format("avahi_service_browser_new({}): {}", lookup.type,
                             avahi_strerror(avahi_client_errno(client.get())))};
  }
  timeval tv;
  avahi_elapse_time(&tv, static_cast<unsigned>(timeout.count()), 0);
  AvahiTimeout* timer = api->timeout_new(api, &tv, &OnTimeout, &lookup);
  for (;;) {
    const int r = avahi_simple_poll_iterate(poll.get(), -1);
    if (r != 0) break;  // 1: quit requested; negative: poll error
  }
  api->timeout_free(timer);
  // Resolvers and browser before the client that owns them.
  lookup.resolvers.clear();
  browser.reset();
  if (!lookup.failure.empty()) return Error{lookup.failure};
  BrowseResult result;
  result.early = lookup.early;
  for (auto& [name, f] : lookup.found) result.found.push_back(std::move(f));
  for (const std::string& name : lookup.seen) {
    if (!lookup.found.count(name)) result.unresolved.push_back(name);
  }
  return result;
}

}  // namespace automon::avahi
