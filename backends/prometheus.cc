// SPDX-License-Identifier: GPL-2.0-or-later
#include "backends/prometheus.h"

#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <optional>

#include "backends/nagios_escape.h"
#include "formats/service.h"

namespace automon::backends {
namespace {

using formats::ServiceType;

// Host names as the registrar stores them, and addresses (names, IPv4,
// IPv6 literals): nothing that could end a label value or a URL authority.
bool IsPlainName(std::string_view s) {
  return !s.empty() && s.size() <= 253 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}
bool IsAddress(std::string_view s) {
  return !s.empty() && s.size() <= 253 && s.front() != '-' &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_' || c == ':';
         });
}

// The value of the plan's argument `option` (host-supplied kinds only).
std::optional<std::string> ArgumentValue(const CheckPlan& plan, std::string_view option) {
  for (const Argument& a : plan.arguments) {
    if (a.option == option && a.kind != ArgumentKind::kFlag && a.kind != ArgumentKind::kFixed) {
      return a.value;
    }
  }
  return std::nullopt;
}

bool HasFlag(const CheckPlan& plan, std::string_view option) {
  return std::any_of(plan.arguments.begin(), plan.arguments.end(), [&](const Argument& a) {
    return a.option == option && a.kind == ArgumentKind::kFlag;
  });
}

// "addr:port", an IPv6 literal in brackets.
std::string HostPort(std::string_view address, std::string_view port) {
  if (address.find(':') != std::string_view::npos) return fmt::format("[{}]:{}", address, port);
  return fmt::format("{}:{}", address, port);
}

bool IsPort(std::string_view s) {
  return !s.empty() && s.size() <= 5 &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// What one service becomes: a blackbox probe, a Guacamole exporter probe,
// or nothing (with the reason in `skipped`).
struct Probe {
  std::string exporter;  // the target: options' blackbox or exporter
  std::string module;    // __param_module; empty for the Guacamole exporter
  std::string target;    // __param_target
  nlohmann::json extra = nlohmann::json::object();  // __automon_guacamole_*
  std::string skipped;
};

Probe Skip(std::string why) {
  Probe p;
  p.skipped = std::move(why);
  return p;
}

Probe ProbeFor(const HostPlan& host, const PlannedService& s, const PrometheusOptions& options) {
  const CheckPlan& plan = s.plan;
  const std::string_view type = formats::TypeName(s.type);
  if (plan.mode == CheckMode::kPassive) {
    return Skip("Prometheus does not take passive results; the service is not in its file");
  }
  if (plan.command == "unknown") {
    return Skip("the service cannot be checked as defined, so Prometheus has no target for it");
  }
  if (plan.command.starts_with("mailflow")) {
    return Skip("Prometheus has no probe for mail flows; the service is not in its file");
  }
  const std::string port = ArgumentValue(plan, "-p").value_or("");
  auto blackbox = [&](std::string module, std::string target) {
    Probe p;
    p.exporter = options.blackbox;
    p.module = std::move(module);
    p.target = std::move(target);
    return p;
  };
  const bool tls = plan.command.find("_tls") != std::string::npos;
  switch (s.type) {
    case ServiceType::kHttp: {
      const std::string address = ArgumentValue(plan, "-I").value_or("");
      const std::string uri = ArgumentValue(plan, "-u").value_or("/");
      const bool https = plan.command.starts_with("https");
      const bool verify = plan.command.starts_with("https_verify");
      if (!IsAddress(address) || !IsPort(port)) return Skip("no usable address and port");
      const bool v6 = address.find(':') != std::string::npos;
      const std::string url = fmt::format("{}://{}{}{}:{}{}", https ? "https" : "http",
                                          v6 ? "[" : "", address, v6 ? "]" : "", port, uri);
      return blackbox(https && !verify ? "automon_http_insecure" : "http_2xx", url);
    }
    case ServiceType::kTcp:
    case ServiceType::kSmtp:
    case ServiceType::kImap:
    case ServiceType::kPop3:
    case ServiceType::kSsh:
    case ServiceType::kLdap: {
      const std::string address = ArgumentValue(plan, "-H").value_or("");
      if (!IsAddress(address) || !IsPort(port)) return Skip("no usable address and port");
      std::string module;
      switch (s.type) {
        case ServiceType::kSmtp:
          module = tls ? "automon_smtps" : "automon_smtp";
          break;
        case ServiceType::kImap:
          module = tls ? "automon_imaps" : "automon_imap";
          break;
        case ServiceType::kPop3:
          module = tls ? "pop3s_banner" : "automon_pop3";
          break;
        case ServiceType::kSsh:
          module = "ssh_banner";
          break;
        case ServiceType::kLdap:
          module = HasFlag(plan, "-S") ? "automon_tcp_tls" : "tcp_connect";
          break;
        default:
          module = tls ? "automon_tcp_tls" : "tcp_connect";
          break;
      }
      return blackbox(module, HostPort(address, port));
    }
    case ServiceType::kGuacamole: {
      const std::string address = ArgumentValue(plan, "--host").value_or("");
      const std::string gport = ArgumentValue(plan, "--port").value_or("");
      const std::string protocol = ArgumentValue(plan, "--protocol").value_or("http");
      if (!IsAddress(address) || !IsPort(gport)) return Skip("no usable address and port");
      const bool v6 = address.find(':') != std::string::npos;
      Probe p;
      p.exporter = options.exporter;
      p.target = PrometheusGuacamoleTarget(host.host, s.name);
      if (!IsPrometheusGuacamoleTarget(p.target)) {
        return Skip(fmt::format(
            "the Guacamole exporter's target name '{}' would be over 100 characters", p.target));
      }
      p.extra["__automon_guacamole_endpoint"] =
          fmt::format("{}://{}{}{}:{}{}", protocol == "https" ? "https" : "http", v6 ? "[" : "",
                      address, v6 ? "]" : "", gport, ArgumentValue(plan, "--uri").value_or(""));
      p.extra["__automon_guacamole_username"] = ArgumentValue(plan, "--username").value_or("");
      p.extra["__automon_guacamole_data_source"] =
          ArgumentValue(plan, "--data-source").value_or("");
      p.extra["__automon_guacamole_password_file"] =
          ArgumentValue(plan, "--password-file").value_or("");
      if (HasFlag(plan, "--insecure")) p.extra["__automon_guacamole_insecure"] = "true";
      return p;
    }
    case ServiceType::kUdp:
    case ServiceType::kMailflow:
    case ServiceType::kHaproxy:
    case ServiceType::kCommand:  // passive: checked on the host (issue #15)
      break;
  }
  return Skip(
      fmt::format("Prometheus has no probe for {} services; the service is not in its file", type));
}

}  // namespace

std::string PrometheusGuacamoleTarget(std::string_view host, std::string_view service) {
  return fmt::format("{}_{}", host, service);
}

bool IsPrometheusGuacamoleTarget(std::string_view name) {
  return !name.empty() && name.size() <= 100 && std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == '_';
  });
}

std::string PrometheusBlackboxModules() {
  return R"(# Blackbox modules of automon's targets that Debian's blackbox.yml lacks
# (http_2xx, tcp_connect, ssh_banner and pop3s_banner are Debian's own):
# add them under `modules:` in /etc/prometheus/blackbox.yml.
  automon_http_insecure:
    prober: http
    http:
      tls_config:
        insecure_skip_verify: true
  automon_tcp_tls:
    prober: tcp
    tcp:
      tls: true
  automon_smtp:
    prober: tcp
    tcp:
      query_response:
        - expect: "^220"
        - send: "QUIT"
  automon_smtps:
    prober: tcp
    tcp:
      tls: true
      query_response:
        - expect: "^220"
        - send: "QUIT"
  automon_imap:
    prober: tcp
    tcp:
      query_response:
        - expect: "^\\* OK"
        - send: "a1 LOGOUT"
  automon_imaps:
    prober: tcp
    tcp:
      tls: true
      query_response:
        - expect: "^\\* OK"
        - send: "a1 LOGOUT"
  automon_pop3:
    prober: tcp
    tcp:
      query_response:
        - expect: "^\\+OK"
        - send: "QUIT"
)";
}

std::string PrometheusScrapeExample(const PrometheusOptions& options) {
  return fmt::format(
      R"(# automon: the registrar's targets (automon-registrar(8), PROMETHEUS).
# Add under `scrape_configs:` in /etc/prometheus/prometheus.yml. Every
# target is an exporter's /probe (the blackbox exporter at {}, the
# Guacamole exporter at {}); what it probes comes from the file's
# __param_target and __param_module labels. No job-level `params:`: it
# would override each target's module.
  - job_name: automon
    metrics_path: /probe
    scrape_interval: 60s
    file_sd_configs:
      - files: ['{}/*.json']
    relabel_configs:
      - source_labels: [__param_target]
        target_label: instance
)",
      options.blackbox, options.exporter, options.sd_dir);
}

std::string PrometheusRenderer::HostFileName(std::string_view host) const {
  return fmt::format("{}.json", host);
}

Result<RenderedHost> PrometheusRenderer::RenderHost(const HostPlan& plan) const {
  if (!IsPlainName(plan.host)) {
    return Error{fmt::format(
        "host name '{}' is not usable in Prometheus: expected letters, digits and ._- only",
        plan.host)};
  }
  RenderedHost result;
  nlohmann::json groups = nlohmann::json::array();
  // The Nagios rules for names and descriptions, although neither reaches
  // syntax here: a host's services are the same for every backend of a
  // registrar (backend = nagios, prometheus).
  ServiceNames service_names;
  for (const PlannedService& s : plan.services) {
    RenderedService& report = result.services.emplace_back(RenderedService{s.name, false, "", ""});
    report.reason = service_names.Refusal(s.name, s.description);
    if (!report.reason.empty()) continue;
    report.rendered = true;
    Probe probe = ProbeFor(plan, s, options_);
    if (!probe.skipped.empty()) {
      report.note = probe.skipped;
      continue;
    }
    nlohmann::json labels = std::move(probe.extra);
    if (!probe.module.empty()) labels["__param_module"] = probe.module;
    labels["__param_target"] = probe.target;
    labels["automon_host"] = plan.host;
    labels["automon_service"] = s.name;
    labels["automon_type"] = std::string(formats::TypeName(s.type));
    // The lifecycle's disabled host keeps its targets: an absent target
    // would fire absent() alerts; alert rules exclude the label instead.
    if (plan.disabled) labels["automon_state"] = "disabled";
    groups.push_back({{"targets", {probe.exporter}}, {"labels", std::move(labels)}});
    for (const std::string& path : SecretPathsOf(s.plan)) {
      for (const SecretFile& secret : plan.secrets) {
        if (secret.path == path) result.secrets.push_back(secret);
      }
    }
  }
  // Never throws: invalid UTF-8 (which formats refuses anyway) is replaced.
  result.content =
      groups.dump(2, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace) + "\n";
  return result;
}

}  // namespace automon::backends
