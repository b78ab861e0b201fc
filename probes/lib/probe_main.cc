// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/probe_main.h"

#include <exception>

#include "probes/lib/state.h"

namespace automon::probe {

int GuardedMain(const std::function<int()>& run, std::FILE* out) {
  try {
    return run();
  } catch (const std::exception& e) {
    std::fprintf(out, "Error: internal error: %s\n", e.what());
  } catch (...) {
    std::fprintf(out, "Error: internal error: an unknown exception\n");
  }
  std::fflush(out);
  return kUnknown;
}

}  // namespace automon::probe
