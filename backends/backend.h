// SPDX-License-Identifier: GPL-2.0-or-later
// backends/backend: what every monitoring engine's renderer provides. A
// renderer is a pure function from a HostPlan to the content of that host's
// file(s); where and when the files are written is the registrar's job
// (registrar/activation*.h), so `automon-agent show --render` can use the
// same renderers without a server.
#ifndef AUTOMON_BACKENDS_BACKEND_H_
#define AUTOMON_BACKENDS_BACKEND_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/plan.h"
#include "common/result.h"

namespace automon::backends {

// The engines automon renders for: a closed set, named once (BackendName,
// ParseBackendName) and never compared as text elsewhere.
enum class BackendKind { kNagios, kCheckmk, kIcinga2, kPrometheus };

std::string_view BackendName(BackendKind kind);
// "nagios", "checkmk", "icinga2", "prometheus"; nullopt for anything else.
std::optional<BackendKind> ParseBackendName(std::string_view name);

struct RenderedService {
  std::string name;
  bool rendered = false;  // false: left out, see `reason`
  std::string reason;
  // Rendered (accepted) but not checked by this engine, and why: for
  // people, e.g. "Prometheus has no probe for udp services".
  std::string note = {};

  bool operator==(const RenderedService&) const = default;
};

struct RenderedHost {
  std::string content;                    // the host's whole file
  std::vector<RenderedService> services;  // in plan order
  std::vector<SecretFile> secrets;        // of the rendered services only
};

class Renderer {
 public:
  virtual ~Renderer() = default;

  virtual BackendKind kind() const = 0;

  // One host's file. Fails as a whole when the host's name or address is
  // not usable in the engine; a service that is not is left out and
  // reported in `services` (the caller decides whether that rejects it).
  virtual Result<RenderedHost> RenderHost(const HostPlan& plan) const = 0;

  // The host's file name relative to the backend's output directory.
  virtual std::string HostFileName(std::string_view host) const = 0;
};

// The content without the leading block of '#' or '//' header lines: two
// renders of the same input at different times have equal bodies.
std::string_view WithoutHeader(std::string_view content);

}  // namespace automon::backends

#endif  // AUTOMON_BACKENDS_BACKEND_H_
