// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_guacamole/options.h"

#include <fmt/format.h>
#include <getopt.h>

#include <cctype>
#include <cstring>

#include "common/parse_integer.h"

namespace automon::guacamole {
namespace {

enum LongOnly : int {
  kUsername = 256,
  kPassword,
  kPasswordFile,
  kProtocol,
  kDataSource,
  kUri,
  kCaFile,
  kInsecure,
  kFormat,
};

constexpr size_t kMaxPasswordFile = 64 * 1024;

bool ValidHost(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.find(':') != std::string_view::npos) {  // IPv6 literal
    return host.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
  }
  for (char c : host) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') {
      return false;
    }
  }
  return true;
}

bool ValidDataSource(std::string_view source) {
  if (source.empty() || source.size() > 100) return false;
  for (char c : source) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
      return false;
    }
  }
  return true;
}

bool ValidUri(std::string_view uri) {
  for (char c : uri) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '?' || c == '#' || c == '%' || c == '\\') return false;
  }
  return true;
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
      {"host", required_argument, nullptr, 'H'},
      {"port", required_argument, nullptr, 'p'},
      {"username", required_argument, nullptr, kUsername},
      {"password", required_argument, nullptr, kPassword},
      {"password-file", required_argument, nullptr, kPasswordFile},
      {"protocol", required_argument, nullptr, kProtocol},
      {"data-source", required_argument, nullptr, kDataSource},
      {"uri", required_argument, nullptr, kUri},
      {"ca-file", required_argument, nullptr, kCaFile},
      {"insecure", no_argument, nullptr, kInsecure},
      {"format", required_argument, nullptr, kFormat},
      {nullptr, 0, nullptr, 0},
  };
  CommandLine line;
  Config& config = line.config;
  std::string warning;
  std::string critical;
  std::string port;
  std::optional<std::string> password;
  std::optional<std::string> password_file;
  std::optional<std::string> uri;

  optind = 0;  // full re-initialisation (glibc), so parsing twice works
  opterr = 0;  // errors are ours, on stdout, not getopt's on stderr
  for (;;) {
    int index = 0;
    int option = getopt_long(argc, argv, "+:hVvt:w:c:H:p:", kOptions, &index);
    if (option == -1) break;
    Result<bool> standard = probe::ApplyStandardOption(option, optarg, &line.standard);
    if (!standard) return standard.error();
    if (*standard) continue;
    switch (option) {
      case 'w':
        warning = optarg;
        break;
      case 'c':
        critical = optarg;
        break;
      case 'H':
        config.host = optarg;
        break;
      case 'p':
        port = optarg;
        break;
      case kUsername:
        config.username = optarg;
        break;
      case kPassword:
        password = optarg;
        std::memset(optarg, 'x', std::strlen(optarg));
        break;
      case kPasswordFile:
        password_file = optarg;
        break;
      case kProtocol:
        config.protocol = optarg;
        break;
      case kDataSource:
        config.data_source = optarg;
        break;
      case kUri:
        uri = optarg;
        break;
      case kCaFile:
        config.ca_file = optarg;
        break;
      case kInsecure:
        config.insecure = true;
        break;
      case kFormat: {
        std::string_view format = optarg;
        if (format == "nagios") {
          config.format = OutputFormat::kNagios;
        } else if (format == "checkmk") {
          config.format = OutputFormat::kCheckmk;
        } else if (format == "prometheus") {
          config.format = OutputFormat::kPrometheus;
        } else {
          return Error{
              fmt::format("invalid --format '{}': expected nagios, checkmk or prometheus", format)};
        }
        break;
      }
      case ':':
        return Error{fmt::format("option '{}' needs a value", argv[optind - 1])};
      default:
        return Error{fmt::format("unknown option '{}' (see --help)", argv[optind - 1])};
    }
  }
  if (optind < argc) {
    return Error{fmt::format("unexpected argument '{}' (see --help)", argv[optind])};
  }
  config.verbosity = line.standard.verbosity;
  config.timeout = line.standard.timeout;
  if (line.standard.help || line.standard.version) return line;

  if (config.host.empty()) return Error{"--host is required (see --help)"};
  if (config.host.size() > 2 && config.host.front() == '[' && config.host.back() == ']') {
    config.host = config.host.substr(1, config.host.size() - 2);
  }
  if (!ValidHost(config.host)) {
    return Error{
        fmt::format("invalid --host '{}': expected a host name or an IP address", config.host)};
  }
  if (config.protocol != "http" && config.protocol != "https") {
    return Error{fmt::format("invalid --protocol '{}': expected http or https", config.protocol)};
  }
  if (!port.empty()) {
    const Result<int> value = ParseInteger(port, 1, 65535);
    if (!value) return Error{fmt::format("invalid --port '{}': expected 1 to 65535", port)};
    config.port = *value;
  }
  if (uri) {
    if (!ValidUri(*uri)) {
      return Error{fmt::format(
          "invalid --uri '{}': expected a path such as /guacamole (no spaces, '?', '#', '%')",
          *uri)};
    }
    config.uri = NormalizeUri(*uri);
  }
  if (config.data_source != "auto" && !ValidDataSource(config.data_source)) {
    return Error{fmt::format("invalid --data-source '{}': expected a name such as mysql, or auto",
                             config.data_source)};
  }
  if (config.username.empty()) return Error{"--username is required (see --help)"};

  if (password && password_file) {
    return Error{"give the password only once: --password or --password-file"};
  }
  if (password_file) {
    Result<std::string> content = fs.ReadFile(*password_file, kMaxPasswordFile);
    if (!content) {
      return Error{fmt::format("cannot read --password-file: {}", content.error().message)};
    }
    std::string text = std::move(content).value();
    if (text.ends_with("\r\n")) {
      text.resize(text.size() - 2);
    } else if (text.ends_with("\n")) {
      text.pop_back();
    }
    if (text.empty()) return Error{fmt::format("--password-file '{}' is empty", *password_file)};
    password = std::move(text);
  }
  if (!password && env_password) password = *env_password;
  if (!password || password->empty()) {
    return Error{
        "no password: use --password-file FILE, the environment variable GUACAMOLE_PASSWORD, "
        "or --password"};
  }
  config.password = std::move(*password);

  Result<probe::Thresholds> thresholds = probe::ParseThresholds(warning, critical);
  if (!thresholds) return thresholds.error();
  config.thresholds = std::move(thresholds).value();
  return line;
}

std::string HelpText() {
  return "check_guacamole - count the active sessions of an Apache Guacamole server\n"
         "\n"
         "Usage:\n"
         " check_guacamole -H HOST --username USER [--password-file FILE]\n"
         "   [--protocol http|https] [-p PORT] [--uri PATH] [--data-source NAME|auto]\n"
         "   [-w RANGE] [-c RANGE] [-t SECONDS[:STATE]] [--ca-file FILE] [--insecure]\n"
         "   [--format nagios|checkmk|prometheus] [-v]\n"
         "\n"
         "Logs in through the REST API (POST /api/tokens), counts the entries of\n"
         "/api/session/data/SOURCE/activeConnections, and always logs out again.\n"
         "\n"
         "Options:\n" +
         probe::StandardOptionsHelp() +
         " -H, --host=ADDRESS\n"
         "    Host name or IP address of the Guacamole server (required)\n"
         " -p, --port=INTEGER\n"
         "    TCP port (default: 80 for http, 443 for https)\n"
         " --protocol=http|https\n"
         "    Default: http\n"
         " --uri=PATH\n"
         "    Path of the web application (default: /guacamole; '/' for the root)\n"
         " --username=USER\n"
         "    Guacamole account to log in with (required; ADMINISTER sees all sessions)\n"
         " --password-file=FILE\n"
         "    Read the password from FILE (first line; a final newline is removed)\n"
         " --password=PASSWORD\n"
         "    The password on the command line (visible to other local users; prefer\n"
         "    --password-file or the environment variable GUACAMOLE_PASSWORD)\n"
         " --data-source=NAME|auto\n"
         "    Data source to count in (default: mysql); auto takes the first of\n"
         "    mysql, postgresql, sqlserver that the login offers\n"
         " -w, --warning=RANGE\n"
         " -c, --critical=RANGE\n"
         "    Thresholds on the session count: 10, 10:, ~:10, 10:20, @10:20\n"
         " --ca-file=FILE\n"
         "    Verify the server certificate against the CA certificates in FILE\n"
         " --insecure\n"
         "    Do not verify the server certificate (not recommended)\n"
         " --format=nagios|checkmk|prometheus\n"
         "    Output format (default: nagios)\n"
         " --serve [[ADDR:]PORT]\n"
         "    Run as a Prometheus exporter instead, a drop-in for guacamole_exporter\n"
         "    (see check_guacamole --serve --help)\n"
         "\n"
         "Exit status: 0 OK, 1 WARNING, 2 CRITICAL (the service is down or refuses us),\n"
         "3 UNKNOWN (the probe cannot tell). See check_guacamole(1).\n";
}

}  // namespace automon::guacamole
