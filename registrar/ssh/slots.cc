// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/ssh/slots.h"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>

namespace automon::registrar::ssh {
namespace {

std::string Seconds(std::chrono::steady_clock::duration d) {
  const double s = std::chrono::duration<double>(d).count();
  return s < 10 ? fmt::format("{:.1f} s", s) : fmt::format("{:.0f} s", s);
}

}  // namespace

std::string SourceOf(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&address);
    ::inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    return text;
  }
  if (address.ss_family == AF_INET6) {
    in6_addr a = reinterpret_cast<const sockaddr_in6*>(&address)->sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
      ::inet_ntop(AF_INET, &a.s6_addr[12], text, sizeof text);
      return text;
    }
    // One machine usually has a whole /64 to pick addresses from.
    std::memset(&a.s6_addr[8], 0, 8);
    ::inet_ntop(AF_INET6, &a, text, sizeof text);
    return std::string(text) + "/64";
  }
  return "(unknown address family)";
}

int Slots::unauthenticated(const std::string& source) const {
  auto it = sources_.find(source);
  return it == sources_.end() ? 0 : it->second.unauthenticated;
}

Slots::Step Slots::Arrive(int id, const std::string& source, SteadyTime now) {
  Step step;
  Expire(now, step);
  sources_[source].queue.push_back({id, source, now});
  ++waiting_;
  StartWaiting(step);
  if (waiting_ > limits_.max_waiting) {
    // The longest queue gives way; its newest connection has waited least.
    auto longest = std::max_element(sources_.begin(), sources_.end(), [](auto& a, auto& b) {
      return a.second.queue.size() < b.second.queue.size();
    });
    step.refuse.push_back({longest->second.queue.back(),
                           fmt::format("{} connections already wait for a slot, {} of them "
                                       "from this address",
                                       limits_.max_waiting, longest->second.queue.size() - 1)});
    longest->second.queue.pop_back();
    --waiting_;
    Forget(longest->first);
  }
  return step;
}

Slots::Step Slots::Authenticated(const std::string& source, SteadyTime now) {
  Step step;
  auto it = sources_.find(source);
  if (it != sources_.end() && it->second.unauthenticated > 0) {
    --it->second.unauthenticated;
    Forget(source);
  }
  Expire(now, step);
  StartWaiting(step);
  return step;
}

Slots::Step Slots::Finished(const std::string& source, bool authenticated, SteadyTime now) {
  Step step;
  if (running_ > 0) --running_;
  if (!authenticated) {
    auto it = sources_.find(source);
    if (it != sources_.end() && it->second.unauthenticated > 0) {
      --it->second.unauthenticated;
      Forget(source);
    }
  }
  Expire(now, step);
  StartWaiting(step);
  return step;
}

Slots::Step Slots::Tick(SteadyTime now) {
  Step step;
  Expire(now, step);
  StartWaiting(step);
  return step;
}

Slots::Step Slots::Drain() {
  Step step;
  for (auto& [name, source] : sources_) {
    for (Entry& e : source.queue) step.refuse.push_back({std::move(e), "the server stops"});
    source.queue.clear();
  }
  waiting_ = 0;
  for (auto it = sources_.begin(); it != sources_.end();) {
    it = it->second.unauthenticated == 0 ? sources_.erase(it) : std::next(it);
  }
  return step;
}

void Slots::Expire(SteadyTime now, Step& step) {
  for (auto it = sources_.begin(); it != sources_.end();) {
    auto& queue = it->second.queue;
    while (!queue.empty() && now - queue.front().arrived >= limits_.max_wait) {
      step.refuse.push_back(
          {queue.front(), fmt::format("no free slot within {}", Seconds(limits_.max_wait))});
      queue.pop_front();
      --waiting_;
    }
    if (queue.empty() && it->second.unauthenticated == 0) {
      it = sources_.erase(it);
    } else {
      ++it;
    }
  }
}

void Slots::StartWaiting(Step& step) {
  bool progress = true;
  while (progress && running_ < limits_.max_connections && waiting_ > 0) {
    progress = false;
    // One connection per source per round, starting after the source
    // served last, so that every source takes its turn.
    std::vector<std::string> order;
    for (auto it = sources_.upper_bound(last_served_); it != sources_.end(); ++it) {
      order.push_back(it->first);
    }
    for (auto it = sources_.begin(); it != sources_.end() && it->first <= last_served_; ++it) {
      order.push_back(it->first);
    }
    for (const std::string& name : order) {
      if (running_ >= limits_.max_connections) break;
      Source& s = sources_[name];
      if (s.queue.empty() || s.unauthenticated >= limits_.per_source) continue;
      step.start.push_back(s.queue.front());
      s.queue.pop_front();
      --waiting_;
      ++s.unauthenticated;
      ++running_;
      last_served_ = name;
      progress = true;
    }
  }
}

void Slots::Forget(const std::string& source) {
  auto it = sources_.find(source);
  if (it != sources_.end() && it->second.queue.empty() && it->second.unauthenticated == 0) {
    sources_.erase(it);
  }
}

void RefusalLog::Refused(const std::string& source, const std::string& reason, SteadyTime now) {
  std::string key = source;
  if (counters_.size() >= max_sources_ && counters_.count(key) == 0) key = "other addresses";
  auto [it, fresh] = counters_.try_emplace(key);
  Counter& c = it->second;
  ++c.count;
  c.reason = reason;
  if (fresh) {
    sink_(fmt::format("refused a connection from {}: {}", key, reason));
    c.count = 0;
    c.logged = now;
  } else if (now - c.logged >= interval_) {
    Log(key, c, now);
  }
}

void RefusalLog::Flush(SteadyTime now) {
  for (auto it = counters_.begin(); it != counters_.end();) {
    if (now - it->second.logged < interval_) {
      ++it;
    } else if (it->second.count > 0) {
      Log(it->first, it->second, now);
      ++it;
    } else {
      it = counters_.erase(it);
    }
  }
}

void RefusalLog::Log(const std::string& source, Counter& c, SteadyTime now) {
  sink_(fmt::format(
      "refused {} from {} in the last {}: {}",
      c.count == 1 ? std::string("1 connection") : fmt::format("{} connections", c.count), source,
      Seconds(now - c.logged), c.reason));
  c.count = 0;
  c.logged = now;
}

}  // namespace automon::registrar::ssh
