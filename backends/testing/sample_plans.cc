// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/testing/sample_plans.h"

#include <fmt/format.h>

#include <map>

namespace automon::backends::testing {
namespace {

using formats::ServiceType;

Argument Flag(std::string option) { return {std::move(option), ArgumentKind::kFlag, "", false}; }
Argument Fixed(std::string option, std::string value) {
  return {std::move(option), ArgumentKind::kFixed, std::move(value), false};
}
Argument Value(std::string option, std::string value, bool joined = false) {
  return {std::move(option), ArgumentKind::kValue, std::move(value), joined};
}
Argument Address(std::string option, std::string value) {
  return {std::move(option), ArgumentKind::kAddress, std::move(value), false};
}
Argument Secret(std::string option, std::string path) {
  return {std::move(option), ArgumentKind::kSecretFile, std::move(path), false};
}

CheckPlan Plan(std::string command, std::string program, std::vector<Argument> arguments,
               ProgramSource source = ProgramSource::kMonitoringPlugins) {
  CheckPlan p;
  p.command = std::move(command);
  p.program = {std::move(program), source};
  p.arguments = std::move(arguments);
  return p;
}

std::string SecretPath(const std::string& host, const std::string& service) {
  return SecretFilePath("/var/lib/automon/secrets", host, service, 7);
}

PlannedService Service(std::string name, std::string description, ServiceType type, int line,
                       CheckPlan plan) {
  PlannedService s;
  s.name = std::move(name);
  s.description = std::move(description);
  s.type = type;
  s.loc = {"/etc/monitoring-info/all", line, 0};
  s.plan = std::move(plan);
  return s;
}

// The plans of `host`; `v` gives each host-supplied value by a short key
// so the hostile host can replace them all.
std::vector<PlannedService> Services(const std::string& host, const std::string& address,
                                     const std::map<std::string, std::string>& v) {
  auto get = [&](const std::string& key, const std::string& fallback) {
    auto it = v.find(key);
    return it == v.end() ? fallback : it->second;
  };
  std::vector<PlannedService> out;
  out.push_back(
      Service("web", "web", ServiceType::kHttp, 1,
              Plan("http", "check_http",
                   {Address("-I", address), Value("-H", get("vhost", host)), Value("-p", "80"),
                    Value("-u", get("uri", "/")), Fixed("-f", "sticky")})));
  {
    CheckPlan p =
        Plan("https_verify_cert", "check_curl",
             {Address("-I", address), Value("-H", "shop.example.org"), Value("-p", "443"),
              Value("-u", get("uri2", "/health?full=1&x=y")), Fixed("-f", "critical"),
              Flag("--ssl"), Flag("-D"), Value("-C", "30"), Flag("--continue-after-certificate")});
    p.timeout_seconds = 20;
    p.interval_seconds = 120;
    out.push_back(Service("shop", "shop", ServiceType::kHttp, 3, std::move(p)));
  }
  out.push_back(Service("imaps", "IMAP over TLS", ServiceType::kImap, 12,
                        Plan("imap_tls", "check_simap",
                             {Address("-H", address), Value("-p", "993"),
                              Value("--sni", get("sni", host), /*joined=*/true)})));
  out.push_back(
      Service("echo", "echo", ServiceType::kUdp, 17,
              Plan("udp", "check_udp",
                   {Address("-H", address), Value("-p", "7"), Value("-s", get("send", "ping; it!")),
                    Value("-e", get("expect", "ping"))})));
  {
    CheckPlan p = Plan("ldaps_auth", "check_ldap",
                       {Flag("-S"), Address("-H", address), Value("-p", "636"),
                        Value("-b", get("base", "dc=example,dc=org")), Flag("-3"),
                        Value("-D", "cn=monitor,dc=example,dc=org")});
    p.secret_environment = SecretEnvironment{"LDAP_PASSWORD", SecretPath(host, "ldap")};
    out.push_back(Service("ldap", "LDAP", ServiceType::kLdap, 20, std::move(p)));
  }
  out.push_back(Service("ssh", "SSH", ServiceType::kSsh, 25,
                        Plan("ssh", "check_ssh", {Address("-H", address), Value("-p", "22")})));
  out.push_back(Service(
      "guacamole", "Guacamole sessions", ServiceType::kGuacamole, 28,
      Plan("guacamole_w", "check_guacamole",
           {Address("--host", address), Value("--port", get("port", "8080")),
            Value("--protocol", "http"), Value("--uri", get("guac_uri", "/guacamole")),
            Value("--data-source", "postgresql"), Value("--username", get("username", "monitor")),
            Secret("--password-file", SecretPath(host, "guacamole")), Value("-w", "10")},
           ProgramSource::kAutomonProbes)));
  out.push_back(Service(
      "haproxy", "HAProxy sessions", ServiceType::kHaproxy, 34,
      Plan("haproxy_url_auth_p3", "check_haproxy_sessions",
           {Value("--url", get("stats", "http://127.0.0.1:8404/stats;csv")),
            Value("--username", "stats"), Secret("--password-file", SecretPath(host, "haproxy")),
            Value("-w", "80%"), Value("-c", "90%"), Value("--proxy", get("proxy", "www")),
            Value("--proxy", "api"), Value("--proxy", "static")},
           ProgramSource::kAutomonProbes)));
  out.push_back(
      Service("smtp", "SMTP mail flow", ServiceType::kSmtp, 40,
              Plan("mailflow_send_tls", "check_mailflow",
                   {Fixed("--mode", "send"), Value("--mailflowid", "flow1"),
                    Value("--state-dir", fmt::format("/var/lib/automon/mailflow/{}/flow1", host)),
                    Address("-H", address), Value("-p", "465"),
                    Value("--to", get("email", "probe@example.org")), Fixed("--tls", "implicit"),
                    Value("--tls-hostname", host)},
                   ProgramSource::kAutomonProbes)));
  out.push_back(
      Service("mailflow", "Mail flow age", ServiceType::kMailflow, 46,
              Plan("mailflow_age", "check_mailflow",
                   {Fixed("--mode", "age"), Value("--mailflowid", "flow1"),
                    Value("--state-dir", fmt::format("/var/lib/automon/mailflow/{}/flow1", host)),
                    Value("--seconds", "600")},
                   ProgramSource::kAutomonProbes)));
  out.push_back(
      Service("dns", "dns", ServiceType::kUdp, 50,
              Plan("unknown", "check_dummy",
                   {Fixed("", "3"),
                    Value("", get("reason",
                                  "udp service dns cannot be checked: send and expect are "
                                  "missing (a UDP check needs both, see monitoring-info(5))"))})));
  return out;
}

std::vector<SecretFile> Secrets(const std::string& host, const std::string& password) {
  return {{SecretPath(host, "ldap"), password + "\n"},
          {SecretPath(host, "guacamole"), password + "\n"},
          {SecretPath(host, "haproxy"), password + "\n"}};
}

}  // namespace

HostPlan EveryTypeHost() {
  HostPlan plan;
  plan.host = "web01.example.org";
  plan.address = "192.0.2.10";
  plan.generation = 7;
  plan.services = Services(plan.host, plan.address, {});
  plan.secrets = Secrets(plan.host, "s3cret");
  return plan;
}

HostPlan HostileValuesHost(const std::string& host, const std::string& address) {
  const std::map<std::string, std::string> hostile = {
      {"vhost", "x\"; } object Host \"pwned\" { address = \"1"},
      {"uri", "/$host.vars.automon_generation$/$$/${{ }}/\\\\/$USER1$"},
      {"uri2", "/a\\\"b\\n{{{raw}}}"},
      {"sni", "evil.example.org\nobject Host \"pwned\" {}"},
      {"send", "$(touch /tmp/automon-pwned)`id`;|&><*?'\"\t\r\x01\x7f"},
      {"expect", "$$$"},
      {"base", "dc=$macro$,dc=\\\\,dc=\"q\""},
      {"port", "8080 --insecure"},
      {"guac_uri", "/guacamole\n// comment"},
      {"username", "monitor\"\nvars.x = \"y"},
      {"stats", "http://127.0.0.1:8404/stats;csv?$$ARG1$$"},
      {"proxy", "www\", \"--evil"},
      {"email", "probe@example.org -X"},
      {"reason", "}}} \"; include \"/etc/passwd\" // \xc3\xa9"},
  };
  HostPlan plan;
  plan.host = host;
  plan.address = address;
  plan.generation = 7;
  plan.services = Services(host, address, hostile);
  plan.secrets = Secrets(host, "pa$$w0rd'$(touch /tmp/automon-pwned)`id`;!\"");
  return plan;
}

std::vector<CheckPlan> SampleShapes() {
  std::vector<CheckPlan> shapes;
  for (const PlannedService& s : Services("h", "h", {})) {
    CheckPlan shape = s.plan;
    for (Argument& a : shape.arguments) {
      if (a.kind != ArgumentKind::kFlag) a.value.clear();
    }
    if (shape.secret_environment) shape.secret_environment->file.clear();
    shape.timeout_seconds.reset();
    shape.interval_seconds.reset();
    shapes.push_back(std::move(shape));
  }
  return shapes;
}

}  // namespace automon::backends::testing
