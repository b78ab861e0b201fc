// SPDX-License-Identifier: GPL-2.0-or-later
#include "common/avahi/publisher.h"

#include <avahi-common/error.h>
#include <fmt/format.h>

namespace automon::avahi {

Result<std::string> Publish(EntryGroupApi& group, const Announcement& a, int max_renames) {
  auto txt = BuildTxt(a);
  if (!txt) return txt.error();
  std::string name = a.name;
  for (int attempt = 0;; ++attempt) {
    const int added = group.AddService(name, a.port, *txt);
    if (added == AVAHI_OK) break;
    if (added != AVAHI_ERR_COLLISION || attempt == max_renames) {
      return Error{
          fmt::format("avahi_entry_group_add_service({}): {}", name, avahi_strerror(added))};
    }
    name = AlternativeName(name);
    if (const int reset = group.Reset(); reset != AVAHI_OK) {
      return Error{fmt::format("avahi_entry_group_reset: {}", avahi_strerror(reset))};
    }
  }
  if (const int committed = group.Commit(); committed != AVAHI_OK) {
    return Error{fmt::format("avahi_entry_group_commit({}): {}", name, avahi_strerror(committed))};
  }
  return name;
}

}  // namespace automon::avahi
