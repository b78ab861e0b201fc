// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_haproxy_sessions/options.h"

#include <fmt/format.h>
#include <getopt.h>

#include <vector>

#include "probes/lib/check_result.h"
#include "probes/lib/secret_options.h"

namespace automon::haproxy {
namespace {

enum LongOnly : int {
  kUrl = 256,
  kSocket,
  kUsername,
  kPasswordFile,
  kProxy,
  kProxies,
  kKind,
  kDownCritical,
};

std::string Shown(std::string_view text) { return probe::SanitizeLine(text); }

Result<void> ValidateUrl(std::string_view url) {
  size_t scheme_end = url.find("://");
  std::string_view scheme = url.substr(0, scheme_end);
  if (scheme_end == std::string_view::npos || (scheme != "http" && scheme != "https")) {
    return Error{
        fmt::format("invalid --url '{}': must start with http:// or https://", Shown(url))};
  }
  for (char c : url) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) {
      return Error{
          fmt::format("invalid --url '{}': spaces and control characters must be "
                      "percent-encoded",
                      Shown(url))};
    }
  }
  std::string_view authority = url.substr(scheme_end + 3);
  authority = authority.substr(0, authority.find_first_of("/?#;"));
  if (authority.find('@') != std::string_view::npos) {
    // Do not echo the URL: it holds a password.
    return Error{
        "invalid --url: user:password@ in a URL is visible in the process list; use "
        "--username with --password-file or HAPROXY_PASSWORD"};
  }
  // "http://:8404/stats" (monitoring-info's "this host") must have had the
  // host filled in before it reaches the probe.
  std::string_view host = authority.starts_with('[') ? authority.substr(0, authority.find(']') + 1)
                                                     : authority.substr(0, authority.rfind(':'));
  if (host.empty()) {
    return Error{fmt::format("invalid --url '{}': no host", Shown(url))};
  }
  return {};
}

}  // namespace

Result<CommandLine> ParseCommandLine(int argc, char* argv[],
                                     const std::optional<std::string>& env_password,
                                     FileSystem& fs) {
  static const option kOptions[] = {
      {"help", no_argument, nullptr, 'h'},
      {"version", no_argument, nullptr, 'V'},
      {"verbose", no_argument, nullptr, 'v'},
      {"timeout", required_argument, nullptr, 't'},
      {"warning", required_argument, nullptr, 'w'},
      {"critical", required_argument, nullptr, 'c'},
      {"url", required_argument, nullptr, kUrl},
      {"socket", required_argument, nullptr, kSocket},
      {"username", required_argument, nullptr, kUsername},
      {"password-file", required_argument, nullptr, kPasswordFile},
      {"proxy", required_argument, nullptr, kProxy},
      {"proxies", required_argument, nullptr, kProxies},
      {"kind", required_argument, nullptr, kKind},
      {"down-critical", no_argument, nullptr, kDownCritical},
      {nullptr, 0, nullptr, 0},
  };
  CommandLine line;
  std::optional<std::string> url;
  std::optional<std::string> socket;
  std::string username;
  std::optional<std::string> password_file;
  std::optional<std::string> warning;
  std::optional<std::string> critical;
  std::optional<std::string> kinds;

  Result<void> spelt_out = probe::RejectAbbreviations(argc, argv, kOptions, "wct");
  if (!spelt_out) return spelt_out.error();
  optind = 0;  // glibc: a full re-initialisation, so tests can parse twice
  opterr = 0;  // errors are reported below, on stdout, as values
  int option = 0;
  while ((option = getopt_long(argc, argv, ":hVvt:w:c:", kOptions, nullptr)) != -1) {
    const std::string arg = optarg != nullptr ? optarg : "";
    switch (option) {
      case kUrl:
        url = arg;
        break;
      case kSocket:
        socket = arg;
        break;
      case kUsername:
        username = arg;
        break;
      case kPasswordFile:
        password_file = arg;
        break;
      case kProxy:
        if (arg.empty()) return Error{"invalid --proxy '': empty pattern"};
        line.config.selection.proxy_patterns.push_back(arg);
        break;
      case kProxies:
        // One argument for many patterns: a monitoring core passes a
        // limited number of arguments (Nagios: $ARG1$..$ARG32$).
        for (size_t start = 0;;) {
          const size_t comma = arg.find(',', start);
          const std::string pattern =
              arg.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
          if (pattern.empty()) {
            return Error{fmt::format("invalid --proxies '{}': empty pattern", Shown(arg))};
          }
          line.config.selection.proxy_patterns.push_back(pattern);
          if (comma == std::string::npos) break;
          start = comma + 1;
        }
        break;
      case kKind:
        kinds = arg;
        break;
      case kDownCritical:
        line.config.selection.down_critical = true;
        break;
      case 'w':
        warning = arg;
        break;
      case 'c':
        critical = arg;
        break;
      case ':':
        return Error{fmt::format("option '{}' needs an argument", Shown(argv[optind - 1]))};
      case '?':
        return Error{fmt::format("unknown option '{}' (see --help)", Shown(argv[optind - 1]))};
      default: {
        Result<bool> standard = probe::ApplyStandardOption(option, optarg, &line.standard);
        if (!standard) return standard.error();
        if (!*standard) return Error{"internal error: unhandled option"};
      }
    }
  }
  if (line.standard.help || line.standard.version) return line;
  if (optind < argc) {
    return Error{fmt::format("unexpected argument '{}' (see --help)", Shown(argv[optind]))};
  }

  Config& config = line.config;
  config.timeout = line.standard.timeout;
  config.selection.verbosity = line.standard.verbosity;
  if (url.has_value() == socket.has_value()) {
    return Error{"give exactly one of --url URL and --socket PATH"};
  }
  if (socket) {
    if (socket->empty()) return Error{"invalid --socket '': empty path"};
    if (!username.empty() || password_file) {
      return Error{
          "--username and --password-file apply to --url only (the stats socket has "
          "no authentication; its file permissions decide)"};
    }
    config.source = SocketSource{*socket};
  } else {
    Result<void> valid = ValidateUrl(*url);
    if (!valid) return valid.error();
    HttpSource http{*url, username, ""};
    if (password_file && username.empty()) {
      return Error{"--password-file needs --username"};
    }
    if (!username.empty()) {
      if (username.find(':') != std::string::npos) {
        return Error{
            fmt::format("invalid --username '{}': HTTP Basic authentication does not "
                        "allow ':' in a user name",
                        Shown(username))};
      }
      if (password_file) {
        Result<std::string> password = probe::ReadPasswordFile(fs, *password_file);
        if (!password) return password.error();
        http.password = std::move(password).value();
      } else if (env_password && !env_password->empty()) {
        http.password = *env_password;
      } else {
        return Error{
            fmt::format("--username needs a password: --password-file FILE or the "
                        "environment variable {}",
                        kPasswordEnvironment)};
      }
    }
    config.source = std::move(http);
  }
  if (kinds) {
    Result<KindSet> parsed = ParseKinds(*kinds);
    if (!parsed) return parsed.error();
    config.selection.kinds = *parsed;
  }
  if (warning) {
    Result<SessionThreshold> parsed = ParseSessionThreshold(*warning, "-w");
    if (!parsed) return parsed.error();
    config.selection.warning = std::move(parsed).value();
  }
  if (critical) {
    Result<SessionThreshold> parsed = ParseSessionThreshold(*critical, "-c");
    if (!parsed) return parsed.error();
    config.selection.critical = std::move(parsed).value();
  }
  return line;
}

std::string HelpText() {
  return "check_haproxy_sessions - current sessions of HAProxy frontends, backends and servers\n"
         "\n"
         "Usage:\n"
         " check_haproxy_sessions (--url URL | --socket PATH)\n"
         "     [--username USER (--password-file FILE | env HAPROXY_PASSWORD)]\n"
         "     [--proxy PATTERN]... [--proxies LIST] [--kind frontend,backend,server]\n"
         "     [-w RANGE[%]] [-c RANGE[%]] [--down-critical] [-t SECONDS[:STATE]] [-v]\n"
         "\n"
         "Reads HAProxy's statistics (the CSV of the stats page or of 'show stat' on the\n"
         "stats socket) and checks the current sessions (scur) of each selected proxy\n"
         "against the thresholds, absolute or in percent of its limit (slim).\n"
         "\n"
         "Options:\n"
         " --url URL\n"
         "    The stats page, e.g. http://127.0.0.1:8404/stats (';csv' is appended\n"
         "    when absent)\n"
         " --socket PATH\n"
         "    The stats socket ('stats socket PATH' in HAProxy's global section)\n"
         " --username USER\n"
         "    HTTP Basic authentication ('stats auth USER:PASSWORD')\n"
         " --password-file FILE\n"
         "    Read the password from the first line of FILE; without it the password\n"
         "    comes from the environment variable HAPROXY_PASSWORD\n"
         " --proxy PATTERN\n"
         "    Check the proxies whose name matches the shell pattern (repeatable;\n"
         "    default all). A pattern with '/' matches 'proxy/server'. A pattern that\n"
         "    matches nothing is an UNKNOWN error\n"
         " --proxies LIST\n"
         "    Comma-separated patterns, each as with --proxy\n"
         " --kind LIST\n"
         "    Comma list of frontend, backend, server (default frontend,backend)\n"
         " -w, --warning=RANGE[%]\n"
         " -c, --critical=RANGE[%]\n"
         "    Ranges on the session count, e.g. 80 or 10:90; with a trailing '%' on\n"
         "    the percentage of the proxy's limit (slim). A proxy without a limit is\n"
         "    UNKNOWN under a percent threshold\n"
         " --down-critical\n"
         "    A selected proxy or server whose status is DOWN is CRITICAL\n" +
         probe::StandardOptionsHelp() +
         "\n"
         "Exit status: 0 OK, 1 WARNING, 2 CRITICAL (also: HAProxy down or refusing,\n"
         "authentication failed), 3 UNKNOWN (the probe cannot tell: bad reply,\n"
         "missing proxy, usage error). See check_haproxy_sessions(1).\n";
}

}  // namespace automon::haproxy
