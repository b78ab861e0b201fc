// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_mailflow/options.h"

#include <fmt/format.h>
#include <getopt.h>

#include <cctype>

#include "common/parse_integer.h"
#include "probes/check_mailflow/message.h"
#include "probes/lib/check_result.h"
#include "probes/lib/secret_options.h"

namespace automon::mailflow {
namespace {

enum LongOnly : int {
  kMode = 256,
  kMailflowId,
  kProtocol,
  kTls,
  kTlsHostname,
  kCaFile,
  kInsecure,
  kTo,
  kFrom,
  kHelo,
  kUsername,
  kPasswordFile,
  kMailbox,
  kSeconds,
  kStateDir,
};

std::string Shown(std::string_view text) { return probe::SanitizeLine(text.substr(0, 200)); }

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

// user@domain with a plain local part (letters, digits and "._+-=", as
// monitoring-info's email key allows and a little more) and a host name.
bool ValidAddress(std::string_view address) {
  size_t at = address.find('@');
  if (at == 0 || at == std::string_view::npos || address.size() > 254) return false;
  std::string_view user = address.substr(0, at);
  for (char c : user) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("._+-=").find(c) == std::string_view::npos) {
      return false;
    }
  }
  std::string_view domain = address.substr(at + 1);
  return ValidHost(domain) && domain.find(':') == std::string_view::npos;
}

bool ValidMailbox(std::string_view name) {
  if (name.empty() || name.size() > 200) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("._-/ ").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

struct Raw {
  std::optional<std::string> mode, flow_id, protocol, tls, port, host, tls_hostname, ca_file, to,
      from, helo, username, password_file, mailbox, seconds, state_dir, expire_days;
  bool insecure = false;
};

// Options that make no sense for a mode are errors, so a renderer bug shows.
Result<void> RejectForAge(const Raw& raw) {
  const std::pair<const std::optional<std::string>*, const char*> network[] = {
      {&raw.protocol, "--protocol"},
      {&raw.tls, "--tls"},
      {&raw.port, "--port"},
      {&raw.host, "--host"},
      {&raw.tls_hostname, "--tls-hostname"},
      {&raw.ca_file, "--ca-file"},
      {&raw.to, "--to"},
      {&raw.from, "--from"},
      {&raw.helo, "--helo"},
      {&raw.username, "--username"},
      {&raw.password_file, "--password-file"},
      {&raw.mailbox, "--mailbox"},
      {&raw.expire_days, "--expire-days"}};
  for (const auto& [value, name] : network) {
    if (value->has_value()) return Error{fmt::format("{} does not apply to --mode age", name)};
  }
  if (raw.insecure) return Error{"--insecure does not apply to --mode age"};
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
      {"host", required_argument, nullptr, 'H'},
      {"port", required_argument, nullptr, 'p'},
      {"expire-days", required_argument, nullptr, 'D'},
      {"mode", required_argument, nullptr, kMode},
      {"mailflowid", required_argument, nullptr, kMailflowId},
      {"protocol", required_argument, nullptr, kProtocol},
      {"tls", required_argument, nullptr, kTls},
      {"tls-hostname", required_argument, nullptr, kTlsHostname},
      {"ca-file", required_argument, nullptr, kCaFile},
      {"insecure", no_argument, nullptr, kInsecure},
      {"to", required_argument, nullptr, kTo},
      {"from", required_argument, nullptr, kFrom},
      {"helo", required_argument, nullptr, kHelo},
      {"username", required_argument, nullptr, kUsername},
      {"password-file", required_argument, nullptr, kPasswordFile},
      {"mailbox", required_argument, nullptr, kMailbox},
      {"seconds", required_argument, nullptr, kSeconds},
      {"state-dir", required_argument, nullptr, kStateDir},
      {nullptr, 0, nullptr, 0},
  };
  Result<void> spelt_out = probe::RejectAbbreviations(argc, argv, kOptions, "tHpD");
  if (!spelt_out) return spelt_out.error();

  CommandLine line;
  Raw raw;
  optind = 0;  // glibc: a full re-initialisation, so tests can parse twice
  opterr = 0;  // errors are reported below, on stdout, as values
  int option = 0;
  while ((option = getopt_long(argc, argv, ":hVvt:H:p:D:", kOptions, nullptr)) != -1) {
    const std::string arg = optarg != nullptr ? optarg : "";
    switch (option) {
      case kMode:
        raw.mode = arg;
        break;
      case kMailflowId:
        raw.flow_id = arg;
        break;
      case kProtocol:
        raw.protocol = arg;
        break;
      case kTls:
        raw.tls = arg;
        break;
      case kTlsHostname:
        raw.tls_hostname = arg;
        break;
      case kCaFile:
        raw.ca_file = arg;
        break;
      case kInsecure:
        raw.insecure = true;
        break;
      case kTo:
        raw.to = arg;
        break;
      case kFrom:
        raw.from = arg;
        break;
      case kHelo:
        raw.helo = arg;
        break;
      case kUsername:
        raw.username = arg;
        break;
      case kPasswordFile:
        raw.password_file = arg;
        break;
      case kMailbox:
        raw.mailbox = arg;
        break;
      case kSeconds:
        raw.seconds = arg;
        break;
      case kStateDir:
        raw.state_dir = arg;
        break;
      case 'H':
        raw.host = arg;
        break;
      case 'p':
        raw.port = arg;
        break;
      case 'D':
        raw.expire_days = arg;
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
  config.verbosity = line.standard.verbosity;
  if (!raw.mode) return Error{"--mode is required: send, receive or age (see --help)"};
  if (*raw.mode == "send") {
    config.mode = Mode::kSend;
  } else if (*raw.mode == "receive") {
    config.mode = Mode::kReceive;
  } else if (*raw.mode == "age") {
    config.mode = Mode::kAge;
  } else {
    return Error{
        fmt::format("invalid --mode '{}': expected send, receive or age", Shown(*raw.mode))};
  }
  if (!raw.flow_id) return Error{"--mailflowid is required (see --help)"};
  if (!ValidFlowId(*raw.flow_id)) {
    return Error{
        fmt::format("invalid --mailflowid '{}': expected 1 to 64 letters, digits and '._-', "
                    "starting with a letter or digit",
                    Shown(*raw.flow_id))};
  }
  config.flow_id = *raw.flow_id;
  config.state_dir = raw.state_dir.value_or(std::string(kDefaultStateRoot) + "/" + config.flow_id);
  if (config.state_dir.empty()) return Error{"invalid --state-dir '': empty path"};

  if (config.mode == Mode::kAge) {
    Result<void> rejected = RejectForAge(raw);
    if (!rejected) return rejected.error();
    if (!raw.seconds) return Error{"--mode age needs --seconds (the longest delivery time)"};
    Result<int> seconds = ParseInteger(*raw.seconds, 1, 604800);
    if (!seconds) {
      return Error{
          fmt::format("invalid --seconds '{}': expected 1 to 604800", Shown(*raw.seconds))};
    }
    config.max_age = std::chrono::seconds(*seconds);
    return line;
  }
  if (raw.seconds) return Error{"--seconds applies to --mode age only"};

  Server& server = config.server;
  if (config.mode == Mode::kSend) {
    if (raw.protocol && *raw.protocol != "smtp") {
      return Error{
          fmt::format("invalid --protocol '{}' for --mode send: only smtp", Shown(*raw.protocol))};
    }
    server.protocol = Protocol::kSmtp;
    if (raw.mailbox) return Error{"--mailbox applies to --mode receive only"};
    if (!raw.to) return Error{"--mode send needs --to ADDRESS (the token mail's recipient)"};
    if (!ValidAddress(*raw.to)) {
      return Error{fmt::format("invalid --to '{}': expected user@domain", Shown(*raw.to))};
    }
    config.to = *raw.to;
    config.from = raw.from.value_or(config.to);
    if (!ValidAddress(config.from)) {
      return Error{fmt::format("invalid --from '{}': expected user@domain", Shown(config.from))};
    }
    if (raw.helo) {
      if (!ValidHost(*raw.helo) || raw.helo->find(':') != std::string::npos) {
        return Error{fmt::format("invalid --helo '{}': expected a host name", Shown(*raw.helo))};
      }
      config.helo = *raw.helo;
    }
  } else {
    if (raw.to || raw.from || raw.helo) {
      return Error{"--to, --from and --helo apply to --mode send only"};
    }
    if (!raw.protocol) return Error{"--mode receive needs --protocol imap or pop3"};
    if (*raw.protocol == "imap") {
      server.protocol = Protocol::kImap;
    } else if (*raw.protocol == "pop3") {
      server.protocol = Protocol::kPop3;
    } else {
      return Error{fmt::format("invalid --protocol '{}' for --mode receive: expected imap or pop3",
                               Shown(*raw.protocol))};
    }
    if (raw.mailbox) {
      if (server.protocol != Protocol::kImap) return Error{"--mailbox applies to imap only"};
      if (!ValidMailbox(*raw.mailbox)) {
        return Error{
            fmt::format("invalid --mailbox '{}': expected letters, digits, spaces and '._-/'",
                        Shown(*raw.mailbox))};
      }
      config.mailbox = *raw.mailbox;
    }
    if (!raw.username) return Error{"--mode receive needs --username"};
  }

  if (!raw.host) return Error{"--host is required for --mode send and receive"};
  server.host = *raw.host;
  if (server.host.size() > 2 && server.host.front() == '[' && server.host.back() == ']') {
    server.host = server.host.substr(1, server.host.size() - 2);
  }
  if (!ValidHost(server.host)) {
    return Error{fmt::format("invalid --host '{}': expected a host name or an IP address",
                             Shown(*raw.host))};
  }
  if (raw.port) {
    Result<int> port = ParseInteger(*raw.port, 1, 65535);
    if (!port)
      return Error{fmt::format("invalid --port '{}': expected 1 to 65535", Shown(*raw.port))};
    server.port = *port;
  }
  if (raw.tls) {
    if (*raw.tls == "none") {
      server.tls = TlsMode::kNone;
    } else if (*raw.tls == "starttls") {
      server.tls = TlsMode::kStartTls;
    } else if (*raw.tls == "implicit") {
      server.tls = TlsMode::kImplicit;
    } else {
      return Error{
          fmt::format("invalid --tls '{}': expected none, starttls or implicit", Shown(*raw.tls))};
    }
  }
  if (server.tls == TlsMode::kNone &&
      (raw.tls_hostname || raw.ca_file || raw.insecure || raw.expire_days)) {
    return Error{
        "--tls-hostname, --ca-file, --insecure and --expire-days need --tls starttls or "
        "--tls implicit"};
  }
  if (raw.tls_hostname) {
    if (!ValidHost(*raw.tls_hostname) || raw.tls_hostname->find(':') != std::string::npos) {
      return Error{fmt::format("invalid --tls-hostname '{}': expected a host name",
                               Shown(*raw.tls_hostname))};
    }
    server.tls_hostname = *raw.tls_hostname;
  }
  if (raw.ca_file) {
    if (raw.ca_file->empty()) return Error{"invalid --ca-file '': empty path"};
    server.ca_file = *raw.ca_file;
  }
  server.insecure = raw.insecure;
  if (raw.expire_days) {
    Result<int> days = ParseInteger(*raw.expire_days, 1, 3650);
    if (!days) {
      return Error{
          fmt::format("invalid --expire-days '{}': expected 1 to 3650", Shown(*raw.expire_days))};
    }
    config.expire_days = *days;
  }

  if (raw.username) {
    if (raw.username->empty() || raw.username->size() > 256 ||
        raw.username->find_first_of(" \t\r\n") != std::string::npos) {
      return Error{
          fmt::format("invalid --username '{}': empty or with white space", Shown(*raw.username))};
    }
    server.username = *raw.username;
    if (raw.password_file) {
      Result<std::string> password = probe::ReadPasswordFile(fs, *raw.password_file);
      if (!password) return password.error();
      server.password = std::move(password).value();
    } else if (env_password && !env_password->empty()) {
      server.password = *env_password;
    } else {
      return Error{fmt::format(
          "--username needs a password: --password-file FILE or the environment variable {}",
          kPasswordEnvironment)};
    }
  } else if (raw.password_file) {
    return Error{"--password-file needs --username"};
  }
  return line;
}

std::string HelpText() {
  return "check_mailflow - send, collect and time token mails through SMTP, IMAP and POP3\n"
         "\n"
         "Usage:\n"
         " check_mailflow --mode send --mailflowid ID -H HOST [-p PORT] [--tls MODE]\n"
         "     --to ADDRESS [--from ADDRESS] [--helo NAME]\n"
         "     [--username USER (--password-file FILE | env MAILFLOW_PASSWORD)]\n"
         "     [TLS OPTIONS] [--state-dir DIR] [-t SECONDS[:STATE]] [-v]\n"
         " check_mailflow --mode receive --protocol imap|pop3 --mailflowid ID -H HOST\n"
         "     [-p PORT] [--tls MODE] --username USER\n"
         "     (--password-file FILE | env MAILFLOW_PASSWORD) [--mailbox NAME]\n"
         "     [TLS OPTIONS] [--state-dir DIR] [-t SECONDS[:STATE]] [-v]\n"
         " check_mailflow --mode age --mailflowid ID --seconds N [--state-dir DIR]\n"
         " TLS OPTIONS: [--tls-hostname NAME] [--ca-file FILE] [--insecure] [-D DAYS]\n"
         "\n"
         "send mails a token through the SMTP server and records it; receive logs into\n"
         "the mailbox, deletes the flow's token mails and forgets their tokens; age is\n"
         "CRITICAL while a token older than --seconds has not been received.\n"
         "\n"
         "Options:\n"
         " --mode send|receive|age\n"
         "    What to do (required)\n"
         " --mailflowid ID\n"
         "    The mail flow (letters, digits, '._-'); its modes share one state\n"
         " --state-dir DIR\n"
         "    The flow's state (default: /var/lib/automon/mailflow/ID)\n"
         " -H, --host=ADDRESS\n"
         "    The SMTP server (send) or the mailbox server (receive)\n"
         " -p, --port=INTEGER\n"
         "    Default: smtp 25/465, imap 143/993, pop3 110/995 (plain/implicit TLS)\n"
         " --protocol imap|pop3\n"
         "    The mailbox protocol (receive; send always speaks smtp)\n"
         " --tls none|starttls|implicit\n"
         "    Plain text (default), STARTTLS (required), or TLS from the first byte\n"
         " --to ADDRESS, --from ADDRESS\n"
         "    The token mail's recipient, and its sender (default: the recipient)\n"
         " --helo NAME\n"
         "    The EHLO name (default: this host's name)\n"
         " --username USER\n"
         "    Log in as USER (required for receive; SMTP AUTH for send)\n"
         " --password-file FILE\n"
         "    Read the password from the first line of FILE; without it the password\n"
         "    comes from the environment variable MAILFLOW_PASSWORD\n"
         " --mailbox NAME\n"
         "    The IMAP folder the token mails arrive in (default: INBOX)\n"
         " --seconds N\n"
         "    The longest acceptable delivery time (age; 1 to 604800)\n"
         " --tls-hostname NAME\n"
         "    Send NAME as SNI and verify the certificate for it (default: --host)\n"
         " --ca-file FILE\n"
         "    Verify the certificate against the CA certificates in FILE\n"
         " --insecure\n"
         "    Do not verify the certificate (not recommended)\n"
         " -D, --expire-days=DAYS\n"
         "    WARNING when the server certificate ends within DAYS days\n" +
         probe::StandardOptionsHelp() +
         "\n"
         "Exit status: 0 OK, 1 WARNING, 2 CRITICAL (server down or refusing us, TLS\n"
         "failure, token mail late), 3 UNKNOWN (usage error, unusable state directory).\n"
         "See check_mailflow(1).\n";
}

}  // namespace automon::mailflow
