#include "backends/nagios.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

#include "backends/nagios_escape.h"
#include "common/sha256.h"
#include "formats/schema.h"

namespace automon::backends {
namespace {

using formats::Service;
using formats::ServiceType;

constexpr int kMaxProxies = 64;  // formats' kNameList allows at most 64 items
constexpr std::string_view kDefaultHaproxyWarning = "80%";
constexpr std::string_view kDefaultHaproxyCritical = "90%";

// A command definition and, in the same breath, the arguments of one use of
// it, so the $ARGn$ numbering of both can never drift apart.
class Command {
 public:
  explicit Command(std::string name) : name_(std::move(name)) {}

  Command& Program(std::string_view program) {
    line_ = fmt::format("$USER1$/{}", program);
    return *this;
  }
  // Literal text of the command line (never host-supplied).
  Command& Fixed(std::string_view text) {
    line_ += fmt::format(" {}", text);
    return *this;
  }
  // `flag 'VALUE'`; an empty flag gives a positional argument.
  Command& Option(std::string_view flag, std::string_view value) {
    values_.emplace_back(value);
    if (flag.empty()) {
      line_ += fmt::format(" '$ARG{}$'", values_.size());
    } else {
      line_ += fmt::format(" {} '$ARG{}$'", flag, values_.size());
    }
    return *this;
  }
  // `'flag=VALUE'` as one word.
  Command& OptionEq(std::string_view flag, std::string_view value) {
    values_.emplace_back(value);
    line_ += fmt::format(" '{}=$ARG{}$'", flag, values_.size());
    return *this;
  }

  const std::string& name() const { return name_; }
  const std::string& line() const { return line_; }
  const std::vector<std::string>& values() const { return values_; }

 private:
  std::string name_;
  std::string line_;
  std::vector<std::string> values_;
};

// --- Per-type command shapes. `Values` default to empty strings when only the
// definition is wanted.

struct HttpValues {
  std::string address, vhost, port, uri, redirect, cert_days;
};
Command Http(bool tls, bool verify, bool cert, const HttpValues& v) {
  std::string name = "automon_http";
  if (tls) name += verify ? "s_verify" : "s";
  if (cert) name += "_cert";
  Command c(name);
  c.Program(verify ? "check_curl" : "check_http");
  c.Option("-I", v.address).Option("-H", v.vhost).Option("-p", v.port).Option("-u", v.uri);
  c.Option("-f", v.redirect);
  if (tls) c.Fixed(verify ? "--ssl -D" : "--ssl --sni");
  if (cert) c.Option("-C", v.cert_days).Fixed("--continue-after-certificate");
  return c;
}

struct TcpValues {
  std::string address, port, sni, cert_days;
};
// tcp, smtp, imap and pop3: check_tcp and its protocol-specific links.
Command TcpFamily(ServiceType type, bool tls, bool cert, const TcpValues& v) {
  std::string_view base;
  std::string_view plain;
  std::string_view secure;
  switch (type) {
    case ServiceType::kSmtp:
      base = "smtp";
      plain = "check_smtp";
      secure = "check_ssmtp";
      break;
    case ServiceType::kImap:
      base = "imap";
      plain = "check_imap";
      secure = "check_simap";
      break;
    case ServiceType::kPop3:
      base = "pop3";
      plain = "check_pop";
      secure = "check_spop";
      break;
    default:
      base = "tcp";
      plain = "check_tcp";
      secure = "check_tcp";
      break;
  }
  std::string name = fmt::format("automon_{}", base);
  if (tls) name += "_tls";
  if (cert) name += "_cert";
  Command c(name);
  c.Program(tls ? secure : plain);
  c.Option("-H", v.address).Option("-p", v.port);
  if (tls) {
    if (type == ServiceType::kTcp) c.Fixed("--ssl");
    c.OptionEq("--sni", v.sni);
  }
  if (cert) c.Option("-D", v.cert_days);
  return c;
}

struct UdpValues {
  std::string address, port, send, expect;
};
Command Udp(const UdpValues& v) {
  Command c("automon_udp");
  c.Program("check_udp").Option("-H", v.address).Option("-p", v.port);
  c.Option("-s", v.send).Option("-e", v.expect);
  return c;
}

struct LdapValues {
  std::string address, port, base, bind_dn, password_file;
};
// The bind password reaches check_ldap through its LDAP_PASSWORD environment
// variable, set by the automon_password_env wrapper from a file: never argv.
Command Ldap(bool tls, bool auth, const LdapValues& v) {
  Command c(fmt::format("automon_ldap{}{}", tls ? "s" : "", auth ? "_auth" : ""));
  if (auth) {
    c.Program("automon_password_env").Fixed("LDAP_PASSWORD").Option("", v.password_file);
    c.Fixed("$USER1$/check_ldap");
  } else {
    c.Program("check_ldap");
  }
  if (tls) c.Fixed("-S");
  c.Option("-H", v.address).Option("-p", v.port).Option("-b", v.base).Fixed("-3");
  if (auth) c.Option("-D", v.bind_dn);
  return c;
}

struct SshValues {
  std::string address, port;
};
Command Ssh(const SshValues& v) {
  Command c("automon_ssh");
  c.Program("check_ssh").Option("-H", v.address).Option("-p", v.port);
  return c;
}

struct GuacamoleValues {
  std::string address, port, protocol, uri, data_source, username, password_file, warning, critical;
};
Command Guacamole(bool warning, bool critical, bool insecure, const GuacamoleValues& v) {
  std::string name = "automon_guacamole";
  if (warning) name += "_w";
  if (critical) name += "_c";
  if (insecure) name += "_insecure";
  Command c(name);
  c.Program("check_guacamole").Option("--host", v.address).Option("--port", v.port);
  c.Option("--protocol", v.protocol).Option("--uri", v.uri);
  c.Option("--data-source", v.data_source).Option("--username", v.username);
  c.Option("--password-file", v.password_file);
  if (warning) c.Option("-w", v.warning);
  if (critical) c.Option("-c", v.critical);
  if (insecure) c.Fixed("--insecure");
  return c;
}

struct HaproxyValues {
  std::string endpoint, username, password_file, warning, critical;
  std::vector<std::string> proxies;
};
Command Haproxy(bool socket, bool auth, int proxies, const HaproxyValues& v) {
  Command c(fmt::format("automon_haproxy_{}{}_p{}", socket ? "socket" : "url", auth ? "_auth" : "",
                        proxies));
  c.Program("check_haproxy_sessions").Option(socket ? "--socket" : "--url", v.endpoint);
  if (auth) c.Option("--username", v.username).Option("--password-file", v.password_file);
  c.Option("-w", v.warning).Option("-c", v.critical);
  for (int i = 0; i < proxies; ++i) {
    c.Option("--proxy", i < static_cast<int>(v.proxies.size()) ? v.proxies[i] : "");
  }
  return c;
}

// Mail flow (check_mailflow(1)): `send` through an smtp service that has
// email + mailflowid, `receive` from an imap or pop3 mailbox with
// mailflowid, `age` for the mailflow service. TLS as the service says
// (ssl = true is TLS from the first byte); the password by file only.
struct MailflowValues {
  std::string mailflowid, state_dir, address, port, email, protocol, username, password_file,
      tls_hostname, cert_days, seconds;
};
Command MailflowSend(bool tls, bool insecure, bool cert, const MailflowValues& v) {
  Command c(fmt::format("automon_mailflow_send{}{}{}", tls ? "_tls" : "",
                        insecure ? "_insecure" : "", cert ? "_cert" : ""));
  c.Program("check_mailflow").Fixed("--mode send").Option("--mailflowid", v.mailflowid);
  c.Option("--state-dir", v.state_dir)
      .Option("-H", v.address)
      .Option("-p", v.port)
      .Option("--to", v.email);
  if (tls) c.Fixed("--tls implicit").Option("--tls-hostname", v.tls_hostname);
  if (insecure) c.Fixed("--insecure");
  if (cert) c.Option("-D", v.cert_days);
  return c;
}
Command MailflowReceive(bool tls, bool insecure, bool cert, const MailflowValues& v) {
  Command c(fmt::format("automon_mailflow_receive{}{}{}", tls ? "_tls" : "",
                        insecure ? "_insecure" : "", cert ? "_cert" : ""));
  c.Program("check_mailflow").Fixed("--mode receive").Option("--protocol", v.protocol);
  c.Option("--mailflowid", v.mailflowid).Option("--state-dir", v.state_dir);
  c.Option("-H", v.address)
      .Option("-p", v.port)
      .Option("--username", v.username)
      .Option("--password-file", v.password_file);
  if (tls) c.Fixed("--tls implicit").Option("--tls-hostname", v.tls_hostname);
  if (insecure) c.Fixed("--insecure");
  if (cert) c.Option("-D", v.cert_days);
  return c;
}
Command MailflowAge(const MailflowValues& v) {
  Command c("automon_mailflow_age");
  c.Program("check_mailflow").Fixed("--mode age").Option("--mailflowid", v.mailflowid);
  c.Option("--state-dir", v.state_dir).Option("--seconds", v.seconds);
  return c;
}

// A check that stays UNKNOWN and says why: for services that cannot be
// checked as defined, so the gap is visible in the UI instead of silent.
Command Unknown(std::string_view text) {
  Command c("automon_unknown");
  c.Program("check_dummy").Fixed("3").Option("", text);
  return c;
}

std::vector<Command> AllCommands() {
  std::vector<Command> all;
  for (bool tls : {false, true}) {
    for (bool verify : {false, true}) {
      for (bool cert : {false, true}) {
        if (!tls && (verify || cert)) continue;
        all.push_back(Http(tls, verify, cert, {}));
      }
    }
  }
  for (ServiceType t :
       {ServiceType::kTcp, ServiceType::kSmtp, ServiceType::kImap, ServiceType::kPop3}) {
    for (bool tls : {false, true}) {
      for (bool cert : {false, true}) {
        if (!tls && cert) continue;
        all.push_back(TcpFamily(t, tls, cert, {}));
      }
    }
  }
  all.push_back(Udp({}));
  for (bool tls : {false, true}) {
    for (bool auth : {false, true}) all.push_back(Ldap(tls, auth, {}));
  }
  all.push_back(Ssh({}));
  for (bool w : {false, true}) {
    for (bool c : {false, true}) {
      for (bool insecure : {false, true}) all.push_back(Guacamole(w, c, insecure, {}));
    }
  }
  for (bool socket : {false, true}) {
    for (bool auth : {false, true}) {
      if (socket && auth) continue;
      for (int n = 0; n <= kMaxProxies; ++n) all.push_back(Haproxy(socket, auth, n, {}));
    }
  }
  for (bool tls : {false, true}) {
    for (bool insecure : {false, true}) {
      for (bool cert : {false, true}) {
        if (!tls && (insecure || cert)) continue;
        all.push_back(MailflowSend(tls, insecure, cert, {}));
        all.push_back(MailflowReceive(tls, insecure, cert, {}));
      }
    }
  }
  all.push_back(MailflowAge({}));
  all.push_back(Unknown(""));
  return all;
}

std::string Setting(const Service& s, std::string_view key) {
  return std::string(s.Get(key).value_or(""));
}

struct Context {
  const formats::Snapshot& snapshot;
  const NagiosRenderOptions& options;
};

std::string SecretPath(const Context& ctx, const Service& s) {
  return fmt::format("{}/{}/{}.{}.password", ctx.options.secrets_dir, ctx.snapshot.host, s.name,
                     ctx.snapshot.generation);
}

// Chooses the command for one service. May add a secret file.
Command CommandFor(const Context& ctx, const Service& s, std::vector<SecretFile>& secrets) {
  const formats::Snapshot& snap = ctx.snapshot;
  const std::string address = s.host.value_or(snap.address.value_or(snap.host));
  const std::string name_of_target = s.host.value_or(snap.host);
  auto secret_file = [&]() {
    SecretFile f{SecretPath(ctx, s), s.password->Reveal() + "\n"};
    secrets.push_back(f);
    return f.path;
  };
  auto ssl = [&]() { return s.Get("ssl") == "true"; };
  switch (s.type) {
    case ServiceType::kHttp: {
      const bool tls = ssl();
      const bool verify = tls && s.Get("ignore_invalid_ssl") != "true";
      const bool cert = tls && s.Get("expire_before_days").has_value();
      HttpValues v;
      v.address = address;
      v.vhost =
          std::string(s.Get("hostname").value_or(s.Get("ssl_hostname").value_or(name_of_target)));
      v.port = Setting(s, "port");
      v.uri = Setting(s, "uri");
      v.redirect = s.Get("accept_redirection") == "false" ? "critical" : "sticky";
      v.cert_days = Setting(s, "expire_before_days");
      return Http(tls, verify, cert, v);
    }
    case ServiceType::kSmtp:
    case ServiceType::kImap:
    case ServiceType::kPop3:
      // With mail-flow keys, the mail round trip is this service's check.
      if (s.Get("mailflowid") &&
          (s.type == ServiceType::kSmtp ? s.Get("email").has_value() : s.password.has_value())) {
        const bool tls = ssl();
        const bool insecure = tls && s.Get("ignore_invalid_ssl") == "true";
        const bool cert = tls && s.Get("expire_before_days").has_value();
        MailflowValues v;
        v.mailflowid = Setting(s, "mailflowid");
        v.state_dir = ctx.options.mailflow_dir + "/" + v.mailflowid;
        v.address = address;
        v.port = Setting(s, "port");
        v.tls_hostname = std::string(s.Get("ssl_hostname").value_or(name_of_target));
        v.cert_days = Setting(s, "expire_before_days");
        if (s.type == ServiceType::kSmtp) {
          v.email = Setting(s, "email");
          return MailflowSend(tls, insecure, cert, v);
        }
        v.protocol = s.type == ServiceType::kImap ? "imap" : "pop3";
        v.username = Setting(s, "username");
        v.password_file = secret_file();
        return MailflowReceive(tls, insecure, cert, v);
      }
      [[fallthrough]];
    case ServiceType::kTcp: {
      const bool tls = ssl();
      const bool cert = tls && s.Get("expire_before_days").has_value();
      TcpValues v{address, Setting(s, "port"),
                  std::string(s.Get("ssl_hostname").value_or(name_of_target)),
                  Setting(s, "expire_before_days")};
      return TcpFamily(s.type, tls, cert, v);
    }
    case ServiceType::kUdp:
      if (!s.Get("send") || !s.Get("expect")) {
        return Unknown(fmt::format(
            "udp service {} cannot be checked: send and expect are missing (a UDP check needs "
            "both, see monitoring-info(5))",
            s.name));
      }
      return Udp({address, Setting(s, "port"), Setting(s, "send"), Setting(s, "expect")});
    case ServiceType::kLdap: {
      const bool auth = s.password.has_value() && s.Get("username").has_value();
      LdapValues v{address, Setting(s, "port"), Setting(s, "base"), Setting(s, "username"), ""};
      if (auth) v.password_file = secret_file();
      return Ldap(ssl(), auth, v);
    }
    case ServiceType::kSsh:
      return Ssh({address, Setting(s, "port")});
    case ServiceType::kMailflow: {
      MailflowValues v;
      v.mailflowid = Setting(s, "id");
      v.state_dir = ctx.options.mailflow_dir + "/" + v.mailflowid;
      v.seconds = Setting(s, "seconds");
      return MailflowAge(v);
    }
    case ServiceType::kGuacamole: {
      if (!s.password) {
        return Unknown(
            fmt::format("guacamole service {} cannot be checked: it has no password", s.name));
      }
      GuacamoleValues v;
      v.address = address;
      v.port = Setting(s, "port");
      v.protocol = Setting(s, "protocol");
      v.uri = Setting(s, "uri");
      v.data_source = Setting(s, "data_source");
      v.username = Setting(s, "username");
      v.password_file = secret_file();
      v.warning = Setting(s, "warning");
      v.critical = Setting(s, "critical");
      const bool insecure = v.protocol == "https" && s.Get("ignore_invalid_ssl") == "true";
      return Guacamole(s.Get("warning").has_value(), s.Get("critical").has_value(), insecure, v);
    }
    case ServiceType::kHaproxy: {
      HaproxyValues v;
      v.endpoint = Setting(s, "stats");
      const bool socket = v.endpoint.starts_with("/");
      const bool auth = !socket && s.password.has_value() && s.Get("username").has_value();
      if (auth) {
        v.username = Setting(s, "username");
        v.password_file = secret_file();
      }
      v.warning = std::string(s.Get("warning").value_or(kDefaultHaproxyWarning));
      v.critical = std::string(s.Get("critical").value_or(kDefaultHaproxyCritical));
      const std::string list = Setting(s, "proxies");
      for (size_t start = 0; start < list.size();) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        if (comma > start) v.proxies.push_back(list.substr(start, comma - start));
        start = comma + 1;
      }
      if (static_cast<int>(v.proxies.size()) > kMaxProxies) {
        return Unknown(
            fmt::format("haproxy service {} lists more than {} proxies", s.name, kMaxProxies));
      }
      return Haproxy(socket, auth, static_cast<int>(v.proxies.size()), v);
    }
  }
  return Unknown("unknown service type");
}

// Source comments are host-supplied text: only a strict allow-list is shown,
// so a comment can never end in '\' (line continuation) or hold anything else.
bool IsShowableSource(std::string_view s) {
  return !s.empty() && s.size() <= 256 && s.back() != '\\' &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '/' || c == '.' || c == '_' || c == '-' || c == '+' || c == ':' || c == '@';
         });
}

std::string Directive(std::string_view key, std::string_view value) {
  return fmt::format("    {:<24}{}\n", key, value);
}

}  // namespace

std::string HostBucket(std::string_view host) { return Sha256Hex(host).substr(0, 2); }

std::string HostFileName(std::string_view host) {
  return fmt::format("{}/{}/{}.cfg", kHostsDirName, HostBucket(host), host);
}

std::string RenderNagiosCommon(const NagiosRenderOptions& options) {
  std::string out = fmt::format(
      "# Generated by automon-registrar at {}: commands and hostgroup for every\n"
      "# registered host. Do not edit: this file is rewritten on every render.\n"
      "# Override the templates automon-host and automon-service in {}.\n\n",
      options.generated_at, options.templates_file);
  out += "define hostgroup {\n";
  out += Directive("hostgroup_name", "automon");
  out += Directive("alias", "Hosts registered by automon");
  out += "}\n";
  for (const Command& c : AllCommands()) {
    out += "\ndefine command {\n";
    out += Directive("command_name", c.name());
    out += Directive("command_line", c.line());
    out += "}\n";
  }
  return out;
}

std::string RenderLocalTemplates(std::string_view templates, const NagiosRenderOptions& options) {
  std::string out = fmt::format(
      "# Copied by automon-registrar at {} from {}.\n"
      "# Do not edit this copy: edit that file, then run 'automon-registrar render'.\n\n",
      options.generated_at, options.templates_file);
  out += templates;
  if (!out.ends_with('\n')) out += '\n';
  return out;
}

Result<RenderedHost> RenderNagiosHost(const formats::Snapshot& snapshot,
                                      const NagiosRenderOptions& options) {
  if (!IsSafeObjectName(snapshot.host)) {
    return Error{
        fmt::format("host name '{}' is not usable in Nagios: expected letters, digits "
                    "and ._- only",
                    snapshot.host)};
  }
  const std::string address = snapshot.address.value_or(snapshot.host);
  if (!IsSafeAddress(address)) {
    return Error{
        fmt::format("address '{}' is not usable in Nagios: expected a host name, an "
                    "IPv4 or an IPv6 address",
                    address)};
  }
  RenderedHost result;
  std::string& out = result.content;
  out = fmt::format(
      "# Generated by automon-registrar from host {} (generation {}) at {}.\n"
      "# Do not edit: this file is rewritten whenever the host registers.\n"
      "# Override the templates automon-host and automon-service in {},\n"
      "# or change the services on the host in /etc/monitoring-info/.\n\n",
      snapshot.host, snapshot.generation, options.generated_at, options.templates_file);
  out += "define host {\n";
  out += Directive("use", "automon-host");
  out += Directive("host_name", snapshot.host);
  out += Directive("alias", snapshot.host);
  out += Directive("address", address);
  out += Directive("hostgroups", "automon");
  out += Directive("_AUTOMON_GENERATION", std::to_string(snapshot.generation));
  out += "}\n";

  const Context ctx{snapshot, options};
  std::set<std::string> descriptions;
  std::set<std::string> names;
  for (const Service& s : snapshot.services) {
    RenderedService& report = result.services.emplace_back(RenderedService{s.name, false, ""});
    if (!IsSafeObjectName(s.name) || s.name.size() > 64) {
      report.reason = "the service name is not usable in Nagios";
      continue;
    }
    if (!IsSafeServiceDescription(s.description)) {
      report.reason = fmt::format("description '{}' is not usable in Nagios", s.description);
      continue;
    }
    if (!names.insert(s.name).second || !descriptions.insert(s.description).second) {
      report.reason = "duplicate service name or description";
      continue;
    }
    std::vector<SecretFile> secrets;
    const Command command = CommandFor(ctx, s, secrets);
    std::string check = command.name();
    std::string failure;
    for (const std::string& value : command.values()) {
      auto encoded = EncodeArgument(value);
      if (!encoded) {
        failure = encoded.error().message;
        break;
      }
      check += '!';
      check += *encoded;
    }
    if (!failure.empty()) {
      report.reason = fmt::format("a value cannot be written safely: {}", failure);
      continue;
    }
    out += "\ndefine service {\n";
    if (IsShowableSource(s.loc.ToString())) out += fmt::format("    # from {}\n", s.loc.ToString());
    out += Directive("use", "automon-service");
    out += Directive("host_name", snapshot.host);
    out += Directive("service_description", s.description);
    out += Directive("check_command", check);
    out += Directive("_AUTOMON_SERVICE", s.name);
    out += "}\n";
    report.rendered = true;
    result.secrets.insert(result.secrets.end(), secrets.begin(), secrets.end());
  }
  return result;
}

}  // namespace automon::backends
