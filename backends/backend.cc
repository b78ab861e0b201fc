// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/backend.h"

namespace automon::backends {

std::string_view BackendName(BackendKind kind) {
  switch (kind) {
    case BackendKind::kNagios:
      return "nagios";
    case BackendKind::kCheckmk:
      return "checkmk";
    case BackendKind::kIcinga2:
      return "icinga2";
    case BackendKind::kPrometheus:
      return "prometheus";
  }
  return "unknown";
}

std::optional<BackendKind> ParseBackendName(std::string_view name) {
  for (BackendKind kind : {BackendKind::kNagios, BackendKind::kCheckmk, BackendKind::kIcinga2,
                           BackendKind::kPrometheus}) {
    if (name == BackendName(kind)) return kind;
  }
  return std::nullopt;
}

std::string_view WithoutHeader(std::string_view content) {
  while (content.starts_with("#") || content.starts_with("//")) {
    const size_t newline = content.find('\n');
    if (newline == std::string_view::npos) return {};
    content.remove_prefix(newline + 1);
  }
  return content;
}

}  // namespace automon::backends
