// SPDX-License-Identifier: GPL-2.0-or-later
// Publishing one service in an entry group, renaming it on local name
// collisions. The entry group is behind a small interface so that the
// renaming is tested without an avahi-daemon (publisher_test.cc); the
// Announcer (announcer.h) plugs in the real one.
#ifndef AUTOMON_COMMON_AVAHI_PUBLISHER_H_
#define AUTOMON_COMMON_AVAHI_PUBLISHER_H_

#include <string>
#include <vector>

#include "common/avahi/service.h"
#include "common/result.h"

namespace automon::avahi {

// The calls on an AvahiEntryGroup that publishing needs. Each returns
// AVAHI_OK (0) or a negative avahi error code (avahi-common/error.h).
class EntryGroupApi {
 public:
  virtual ~EntryGroupApi() = default;
  virtual int AddService(const std::string& name, int port,
                         const std::vector<std::string>& txt) = 0;
  virtual int Commit() = 0;
  virtual int Reset() = 0;
};

// Adds `a` to `group` under `a.name` and commits. On AVAHI_ERR_COLLISION
// (another local client holds the name with different data) it resets the
// group and retries with AlternativeName(), at most `max_renames` times.
// Returns the name finally committed, or the error with avahi's message.
Result<std::string> Publish(EntryGroupApi& group, const Announcement& a, int max_renames = 12);

}  // namespace automon::avahi

#endif  // AUTOMON_COMMON_AVAHI_PUBLISHER_H_
