// SPDX-License-Identifier: GPL-2.0-or-later
// RAII owners for the Avahi C handles, each wrapped exactly once
// (STYLE.md). Only files under common/avahi/ include the Avahi headers.
//
// Ownership note: avahi_client_free() also frees the entry groups,
// browsers and resolvers of that client, so those must be released (or
// reset) before their client is.
#ifndef AUTOMON_COMMON_AVAHI_HANDLES_H_
#define AUTOMON_COMMON_AVAHI_HANDLES_H_

#include <avahi-client/client.h>
#include <avahi-client/lookup.h>
#include <avahi-client/publish.h>
#include <avahi-common/simple-watch.h>
#include <avahi-common/thread-watch.h>

#include <memory>

#include "common/c_deleter.h"

namespace automon::avahi {

using SimplePollPtr = std::unique_ptr<AvahiSimplePoll, CDeleter<avahi_simple_poll_free>>;
using ThreadedPollPtr = std::unique_ptr<AvahiThreadedPoll, CDeleter<avahi_threaded_poll_free>>;
using ClientPtr = std::unique_ptr<AvahiClient, CDeleter<avahi_client_free>>;
using EntryGroupPtr = std::unique_ptr<AvahiEntryGroup, CDeleter<avahi_entry_group_free>>;
using ServiceBrowserPtr =
    std::unique_ptr<AvahiServiceBrowser, CDeleter<avahi_service_browser_free>>;
using ServiceResolverPtr =
    std::unique_ptr<AvahiServiceResolver, CDeleter<avahi_service_resolver_free>>;

}  // namespace automon::avahi

#endif  // AUTOMON_COMMON_AVAHI_HANDLES_H_
