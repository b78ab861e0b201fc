// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/standard_options.h"

#include <fmt/format.h>

#include "common/parse_integer.h"

namespace automon::probe {

Result<Timeout> ParseTimeout(std::string_view text) {
  auto fail = [&](std::string_view reason) -> Error {
    return Error{fmt::format("invalid timeout '{}': {}", text, reason)};
  };
  Timeout timeout;
  std::string_view seconds_text = text;
  size_t colon = text.find(':');
  if (colon != std::string_view::npos) {
    seconds_text = text.substr(0, colon);
    Result<State> state = ParseState(text.substr(colon + 1));
    if (!state) return fail(state.error().message);
    timeout.state = *state;
  }
  const Result<long> seconds = ParseInteger<long>(seconds_text);
  if (!seconds) return fail("expected whole seconds, optionally followed by :STATE");
  if (*seconds < 1 || *seconds > 86400) return fail("seconds must be between 1 and 86400");
  timeout.duration = std::chrono::seconds(*seconds);
  return timeout;
}

Result<bool> ApplyStandardOption(int option, const char* arg, StandardOptions* options) {
  switch (option) {
    case 'h':
      options->help = true;
      return true;
    case 'V':
      options->version = true;
      return true;
    case 'v':
      ++options->verbosity;
      return true;
    case 't': {
      Result<Timeout> timeout = ParseTimeout(arg != nullptr ? arg : "");
      if (!timeout) return timeout.error();
      options->timeout = *timeout;
      return true;
    }
    default:
      return false;
  }
}

std::string VersionText(std::string_view probe, std::string_view version) {
  return fmt::format("{} v{} (automon {})\n", probe, version, version);
}

std::optional<std::string> StandardReply(const StandardOptions& options, std::string_view probe,
                                         std::string_view version, std::string_view help) {
  if (options.help) return std::string(help);
  if (options.version) return VersionText(probe, version);
  return std::nullopt;
}

std::string TimedOutReason(std::string_view probe, const Timeout& timeout) {
  const long long seconds = timeout.duration.count();
  return fmt::format("{} timed out after {} seconds (-t {})", probe, seconds, seconds);
}

std::string StandardOptionsHelp() {
  return fmt::format(
      " -h, --help\n"
      "    Print detailed help screen\n"
      " -V, --version\n"
      "    Print version information\n"
      " -v, --verbose\n"
      "    Show details for command-line debugging (may be repeated)\n"
      " -t, --timeout=INTEGER[:STATE]\n"
      "    Seconds before the probe gives up (default: {}); STATE is the state to\n"
      "    return then (OK, WARNING, CRITICAL, UNKNOWN; default CRITICAL)\n",
      kDefaultTimeoutSeconds);
}

}  // namespace automon::probe
