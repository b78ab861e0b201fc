// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/plan.h"

#include <fmt/format.h>

#include <utility>

#include "common/parse_integer.h"
#include "common/sha256.h"

namespace automon::backends {
namespace {

using formats::Service;
using formats::ServiceType;

constexpr int kMaxProxies = 64;  // formats' kNameList allows at most 64 items
// The heartbeat's type in PlannedService (it has no section of its own).
constexpr ServiceType kHeartbeatType = ServiceType::kCommand;
// The shape of a `command` service's plan: nothing for the server to run.
constexpr std::string_view kPassiveCommand = "passive";
constexpr std::string_view kDefaultHaproxyWarning = "80%";
constexpr std::string_view kDefaultHaproxyCritical = "90%";
// How often the agent runs a passive check that sets no interval (the
// `command` type's default; a haproxy stats socket has no key for it).
constexpr int kDefaultPassiveIntervalSeconds = 300;

// Builds one plan; the shape functions below call it with empty values for
// AllCommandShapes() and with a service's values for PlanHost(), so a
// shape's arguments and the values of one use of it can never drift apart.
class Builder {
 public:
  Builder(std::string command, std::string_view program,
          ProgramSource source = ProgramSource::kMonitoringPlugins) {
    plan_.command = std::move(command);
    plan_.program = Program{std::string(program), source};
  }

  // automon's own text.
  Builder& Flag(std::string_view option) { return Add(option, ArgumentKind::kFlag, "", false); }
  Builder& Fixed(std::string_view option, std::string_view value) {
    return Add(option, ArgumentKind::kFixed, value, false);
  }
  // Host-supplied values.
  Builder& Value(std::string_view option, std::string_view value) {
    return Add(option, ArgumentKind::kValue, value, false);
  }
  Builder& JoinedValue(std::string_view option, std::string_view value) {
    return Add(option, ArgumentKind::kValue, value, true);
  }
  Builder& Address(std::string_view option, std::string_view value) {
    return Add(option, ArgumentKind::kAddress, value, false);
  }
  Builder& Secret(std::string_view option, std::string_view path) {
    return Add(option, ArgumentKind::kSecretFile, path, false);
  }
  Builder& SecretEnvironment(std::string_view variable, std::string_view path) {
    plan_.secret_environment =
        backends::SecretEnvironment{std::string(variable), std::string(path)};
    return *this;
  }

  CheckPlan Build() { return std::move(plan_); }

 private:
  Builder& Add(std::string_view option, ArgumentKind kind, std::string_view value, bool joined) {
    plan_.arguments.push_back(Argument{std::string(option), kind, std::string(value), joined});
    return *this;
  }

  CheckPlan plan_;
};

// --- Per-type shapes. `Values` default to empty strings when only the shape
// is wanted.

struct HttpValues {
  std::string address, vhost, port, uri, redirect, cert_days;
};
CheckPlan Http(bool tls, bool verify, bool cert, const HttpValues& v) {
  std::string name = "http";
  if (tls) name += verify ? "s_verify" : "s";
  if (cert) name += "_cert";
  Builder b(name, verify ? "check_curl" : "check_http");
  b.Address("-I", v.address).Value("-H", v.vhost).Value("-p", v.port).Value("-u", v.uri);
  b.Value("-f", v.redirect);
  if (tls && verify) b.Flag("--ssl").Flag("-D");
  if (tls && !verify) b.Flag("--ssl").Flag("--sni");
  if (cert) b.Value("-C", v.cert_days).Flag("--continue-after-certificate");
  return b.Build();
}

struct TcpValues {
  std::string address, port, sni, cert_days;
};
// tcp, smtp, imap and pop3: check_tcp and its protocol-specific links.
CheckPlan TcpFamily(ServiceType type, bool tls, bool cert, const TcpValues& v) {
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
  std::string name(base);
  if (tls) name += "_tls";
  if (cert) name += "_cert";
  Builder b(name, tls ? secure : plain);
  b.Address("-H", v.address).Value("-p", v.port);
  if (tls) {
    if (type == ServiceType::kTcp) b.Flag("--ssl");
    b.JoinedValue("--sni", v.sni);
  }
  if (cert) b.Value("-D", v.cert_days);
  return b.Build();
}

struct UdpValues {
  std::string address, port, send, expect;
};
CheckPlan Udp(const UdpValues& v) {
  Builder b("udp", "check_udp");
  b.Address("-H", v.address).Value("-p", v.port).Value("-s", v.send).Value("-e", v.expect);
  return b.Build();
}

struct LdapValues {
  std::string address, port, base, bind_dn, password_file;
};
// The bind password reaches check_ldap through its LDAP_PASSWORD environment
// variable, set by the automon_password_env wrapper from a file: never argv.
CheckPlan Ldap(bool tls, bool auth, const LdapValues& v) {
  Builder b(fmt::format("ldap{}{}", tls ? "s" : "", auth ? "_auth" : ""), "check_ldap");
  if (auth) b.SecretEnvironment("LDAP_PASSWORD", v.password_file);
  if (tls) b.Flag("-S");
  b.Address("-H", v.address).Value("-p", v.port).Value("-b", v.base).Flag("-3");
  if (auth) b.Value("-D", v.bind_dn);
  return b.Build();
}

struct SshValues {
  std::string address, port;
};
CheckPlan Ssh(const SshValues& v) {
  Builder b("ssh", "check_ssh");
  b.Address("-H", v.address).Value("-p", v.port);
  return b.Build();
}

struct GuacamoleValues {
  std::string address, port, protocol, uri, data_source, username, password_file, warning, critical;
};
CheckPlan Guacamole(bool warning, bool critical, bool insecure, const GuacamoleValues& v) {
  std::string name = "guacamole";
  if (warning) name += "_w";
  if (critical) name += "_c";
  if (insecure) name += "_insecure";
  Builder b(name, "check_guacamole", ProgramSource::kAutomonProbes);
  b.Address("--host", v.address).Value("--port", v.port);
  b.Value("--protocol", v.protocol).Value("--uri", v.uri);
  b.Value("--data-source", v.data_source).Value("--username", v.username);
  b.Secret("--password-file", v.password_file);
  if (warning) b.Value("-w", v.warning);
  if (critical) b.Value("-c", v.critical);
  if (insecure) b.Flag("--insecure");
  return b.Build();
}

struct HaproxyValues {
  std::string endpoint, username, password_file, warning, critical, proxies;
};
// The proxies go as ONE argument, --proxies 'a,b,c': as many --proxy
// options as proxies would need up to 64 arguments, and Nagios expands
// only $ARG1$..$ARG32$ (doc/decisions.md).
CheckPlan Haproxy(bool socket, bool auth, bool proxies, const HaproxyValues& v) {
  Builder b(fmt::format("haproxy_{}{}{}", socket ? "socket" : "url", auth ? "_auth" : "",
                        proxies ? "_proxies" : ""),
            "check_haproxy_sessions", ProgramSource::kAutomonProbes);
  b.Value(socket ? "--socket" : "--url", v.endpoint);
  if (auth) b.Value("--username", v.username).Secret("--password-file", v.password_file);
  b.Value("-w", v.warning).Value("-c", v.critical);
  if (proxies) b.Value("--proxies", v.proxies);
  return b.Build();
}

// Mail flow (check_mailflow(1)): `send` through an smtp service that has
// email + mailflowid, `receive` from an imap or pop3 mailbox with
// mailflowid, `age` for the mailflow service. TLS as the service says
// (ssl = true is TLS from the first byte); the password by file only.
struct MailflowValues {
  std::string mailflowid, state_dir, address, port, email, protocol, username, password_file,
      tls_hostname, cert_days, seconds;
};
CheckPlan MailflowSend(bool tls, bool insecure, bool cert, const MailflowValues& v) {
  Builder b(fmt::format("mailflow_send{}{}{}", tls ? "_tls" : "", insecure ? "_insecure" : "",
                        cert ? "_cert" : ""),
            "check_mailflow", ProgramSource::kAutomonProbes);
  b.Fixed("--mode", "send").Value("--mailflowid", v.mailflowid);
  b.Value("--state-dir", v.state_dir).Address("-H", v.address).Value("-p", v.port);
  b.Value("--to", v.email);
  if (tls) b.Fixed("--tls", "implicit").Value("--tls-hostname", v.tls_hostname);
  if (insecure) b.Flag("--insecure");
  if (cert) b.Value("-D", v.cert_days);
  return b.Build();
}
CheckPlan MailflowReceive(bool tls, bool insecure, bool cert, const MailflowValues& v) {
  Builder b(fmt::format("mailflow_receive{}{}{}", tls ? "_tls" : "", insecure ? "_insecure" : "",
                        cert ? "_cert" : ""),
            "check_mailflow", ProgramSource::kAutomonProbes);
  b.Fixed("--mode", "receive").Value("--protocol", v.protocol);
  b.Value("--mailflowid", v.mailflowid).Value("--state-dir", v.state_dir);
  b.Address("-H", v.address).Value("-p", v.port).Value("--username", v.username);
  b.Secret("--password-file", v.password_file);
  if (tls) b.Fixed("--tls", "implicit").Value("--tls-hostname", v.tls_hostname);
  if (insecure) b.Flag("--insecure");
  if (cert) b.Value("-D", v.cert_days);
  return b.Build();
}
CheckPlan MailflowAge(const MailflowValues& v) {
  Builder b("mailflow_age", "check_mailflow", ProgramSource::kAutomonProbes);
  b.Fixed("--mode", "age").Value("--mailflowid", v.mailflowid);
  b.Value("--state-dir", v.state_dir).Value("--seconds", v.seconds);
  return b.Build();
}

// The heartbeat: a passive service the agent daemon feeds every
// `heartbeat` seconds. Its plan runs nothing.
constexpr std::string_view kHeartbeatCommand = "heartbeat";
CheckPlan HeartbeatPlan(int heartbeat_seconds) {
  CheckPlan plan = Builder(std::string(kHeartbeatCommand), "check_dummy").Build();
  plan.mode = CheckMode::kPassive;
  plan.interval_seconds = heartbeat_seconds;
  plan.freshness_seconds = DefaultFreshnessSeconds(heartbeat_seconds);
  return plan;
}

// A check that stays UNKNOWN and says why: for services that cannot be
// checked as defined, so the gap is visible in the UI instead of silent.
CheckPlan Unknown(std::string_view text) {
  Builder b("unknown", "check_dummy");
  b.Fixed("", "3").Value("", text);
  return b.Build();
}

std::string Setting(const Service& s, std::string_view key) {
  return std::string(s.Get(key).value_or(""));
}

// A number of seconds the format normalised; `fallback` when absent.
int Seconds(const Service& s, std::string_view key, int fallback) {
  const auto text = s.Get(key);
  if (!text) return fallback;
  const Result<int> n = ParseInteger<int>(*text, 1, 10 * 86400);
  return n ? *n : fallback;
}

// Results of `plan` come from the host: the agent runs it (or, for a
// `command` service, the host's own program) every interval.
CheckPlan Passive(CheckPlan plan, const Service& s) {
  const int interval = Seconds(s, "interval", kDefaultPassiveIntervalSeconds);
  plan.mode = CheckMode::kPassive;
  plan.interval_seconds = interval;
  plan.freshness_seconds = Seconds(s, "freshness", DefaultFreshnessSeconds(interval));
  return plan;
}

// "http://:8404/stats" means the service's own host (monitoring-info(5)):
// the address goes in, an IPv6 literal in brackets.
std::string WithHost(std::string_view url, std::string_view address) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return std::string(url);
  const size_t host = scheme + 3;
  if (host < url.size() && url[host] != ':' && url[host] != '/') return std::string(url);
  const bool v6 = address.find(':') != std::string_view::npos;
  return fmt::format("{}{}{}{}{}", url.substr(0, host), v6 ? "[" : "", address, v6 ? "]" : "",
                     url.substr(host));
}

struct Context {
  const formats::Snapshot& snapshot;
  const PlanOptions& options;
};

// The one table: how each service type is checked. May add a secret file.
CheckPlan PlanFor(const Context& ctx, const Service& s, std::vector<SecretFile>& secrets) {
  const formats::Snapshot& snap = ctx.snapshot;
  const std::string address = s.host.value_or(snap.address.value_or(snap.host));
  const std::string name_of_target = s.host.value_or(snap.host);
  auto secret_file = [&]() {
    SecretFile f{SecretFilePath(ctx.options.secrets_dir, snap.host, s.name, snap.generation),
                 s.password->Reveal() + "\n"};
    secrets.push_back(f);
    return f.path;
  };
  // Mail flows are the host's own: one host cannot name another's flow.
  auto state_dir = [&](std::string_view id) {
    return fmt::format("{}/{}/{}", ctx.options.mailflow_dir, snap.host, id);
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
        v.state_dir = state_dir(v.mailflowid);
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
      v.state_dir = state_dir(v.mailflowid);
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
    case ServiceType::kCommand:
      // The host runs its own program; the registrar only receives results
      // and never sees, let alone runs, the command line.
      return Passive(Builder(std::string(kPassiveCommand), "check_dummy").Build(), s);
    case ServiceType::kHaproxy: {
      HaproxyValues v;
      v.endpoint = Setting(s, "stats");
      const bool socket = v.endpoint.starts_with("/");
      if (!socket) v.endpoint = WithHost(v.endpoint, address);
      const bool auth = !socket && s.password.has_value() && s.Get("username").has_value();
      if (auth) {
        v.username = Setting(s, "username");
        v.password_file = secret_file();
      }
      v.warning = std::string(s.Get("warning").value_or(kDefaultHaproxyWarning));
      v.critical = std::string(s.Get("critical").value_or(kDefaultHaproxyCritical));
      // Normalised by formats: names joined by single commas; tolerate
      // anything else a Service built in code may hold.
      const std::string list = Setting(s, "proxies");
      int count = 0;
      for (size_t start = 0; start < list.size();) {
        size_t comma = list.find(',', start);
        if (comma == std::string::npos) comma = list.size();
        if (comma > start) {
          if (!v.proxies.empty()) v.proxies += ',';
          v.proxies += list.substr(start, comma - start);
          ++count;
        }
        start = comma + 1;
      }
      if (count > kMaxProxies) {
        return Unknown(
            fmt::format("haproxy service {} lists more than {} proxies", s.name, kMaxProxies));
      }
      CheckPlan plan = Haproxy(socket, auth, count > 0, v);
      return socket ? Passive(std::move(plan), s) : plan;
    }
  }
  return Unknown("unknown service type");
}

}  // namespace

HostPlan PlanHost(const formats::Snapshot& snapshot, const PlanOptions& options) {
  HostPlan plan;
  plan.host = snapshot.host;
  plan.address = snapshot.address.value_or(snapshot.host);
  plan.generation = snapshot.generation;
  const Context ctx{snapshot, options};
  plan.services.reserve(snapshot.services.size() + 1);  // the heartbeat
  for (const Service& s : snapshot.services) {
    PlannedService& planned = plan.services.emplace_back();
    planned.name = s.name;
    planned.description = s.description;
    planned.type = s.type;
    planned.loc = s.loc;
    planned.plan = PlanFor(ctx, s, plan.secrets);
  }
  if (snapshot.heartbeat_seconds) {
    plan.heartbeat_seconds = *snapshot.heartbeat_seconds;
    PlannedService& heartbeat = plan.services.emplace_back();
    heartbeat.name = std::string(formats::kHeartbeatService);
    heartbeat.description = std::string(formats::kHeartbeatService);
    heartbeat.type = kHeartbeatType;
    heartbeat.plan = HeartbeatPlan(*snapshot.heartbeat_seconds);
  }
  return plan;
}

bool IsHeartbeat(const PlannedService& service) {
  return service.name == formats::kHeartbeatService && service.plan.command == kHeartbeatCommand;
}

int DefaultFreshnessSeconds(int interval_seconds) { return 2 * interval_seconds + 60; }

std::string StaleText(std::string_view host, int freshness_seconds) {
  return fmt::format("No result from {} for {} s (agent silent?)", host, freshness_seconds);
}

CheckPlan SelfCheckPlan() {
  CheckPlan plan;
  plan.command = "registrar_self_check";
  plan.program = Program{"check_automon_registrar", ProgramSource::kAutomonProbes};
  plan.interval_seconds = 60;
  return plan;
}

PlannedService SelfCheckService() {
  PlannedService s;
  s.name = "automon-registrar";
  s.description = std::string(kSelfCheckService);
  s.type = ServiceType::kTcp;  // unused by the backends; the plan is what counts
  s.loc = SourceLocation{"automon-registrar", 0, 0};
  s.plan = SelfCheckPlan();
  return s;
}

HostPlan SelfCheckHostPlan(const std::string& host) {
  HostPlan plan;
  plan.host = host;
  plan.address = host;
  plan.services.push_back(SelfCheckService());
  return plan;
}

std::vector<CheckPlan> AllCommandShapes() {
  std::vector<CheckPlan> all;
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
      for (bool proxies : {false, true}) all.push_back(Haproxy(socket, auth, proxies, {}));
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
  all.push_back(SelfCheckPlan());
  all.push_back(Unknown(""));
  return all;
}

std::string HostBucket(std::string_view host) { return Sha256Hex(host).substr(0, 2); }

std::string SecretFilePath(std::string_view secrets_dir, std::string_view host,
                           std::string_view service, uint64_t generation) {
  return fmt::format("{}/{}/{}{}.{}.password", secrets_dir, HostBucket(host),
                     SecretFilePrefix(host), service, generation);
}

std::string SecretFilePrefix(std::string_view host) { return fmt::format("{}@", host); }

std::vector<std::string> SecretPathsOf(const CheckPlan& plan) {
  std::vector<std::string> paths;
  if (plan.secret_environment) paths.push_back(plan.secret_environment->file);
  for (const Argument& a : plan.arguments) {
    if (a.kind == ArgumentKind::kSecretFile) paths.push_back(a.value);
  }
  return paths;
}

}  // namespace automon::backends
