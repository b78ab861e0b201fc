// SPDX-License-Identifier: GPL-2.0-or-later
// icinga2_driver: the Icinga 2 backend's renderer and activator, driven by
// the real-engine tests (tests/icinga2/) with check plans given as JSON.
// It stands in for the registrar's receive path until the plan table is
// wired into the registrar (issue #14), and for the corpus tests after:
// they can hand it any plan, hostile ones included.
//
//   icinga2_driver render PROBES_DIR ZONE < plans.json
//       prints {"common": ..., "hosts": {host: {"file", "content",
//       "services": [[name, rendered, reason]]}}} or {"error": ...}
//   icinga2_driver activate REGISTRAR_CONF STATE_DIR < plans.json
//       renders with the configuration's [icinga2] settings, writes the
//       secrets of the hosts about to go live (0640) and activates;
//       prints {"activated", "unchanged", "quarantined", "rejected",
//       "reloaded"} or {"error": ...} (exit 1).
//
//   icinga2_driver results REGISTRAR_CONF - < results.json
//       writes passive results through the configuration's result writer
//       (registrar/result_writers.h, the REST API); results.json is
//       {"results": [{"host", "service", "description", "state", "output",
//       "long_output", "perfdata", "time"}]}; prints [[status, detail]].
//
// plans.json: {"hosts": [{"host", "address", "generation", "services":
// [{"name", "description", "command", "program", "source": "plugins" |
// "probes", "arguments": [{"option", "kind": "flag" | "fixed" | "value" |
// "address" | "secret", "value", "joined"}], "env": {"variable", "file"},
// "timeout", "interval"}], "secrets": [{"path", "content"}]}],
// "skip_shapes": [command, ...]}
#include <fmt/format.h>
#include <sys/stat.h>

#include <iostream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "backends/icinga2.h"
#include "common/file_system.h"
#include "common/process_runner.h"
#include "registrar/activation_icinga2.h"
#include "registrar/backend.h"
#include "registrar/config.h"
#include "registrar/disk.h"

namespace {

using automon::backends::Argument;
using automon::backends::ArgumentKind;
using automon::backends::CheckPlan;
using automon::backends::HostPlan;
using nlohmann::json;

ArgumentKind KindOf(const std::string& name) {
  static const std::map<std::string, ArgumentKind> kKinds = {{"flag", ArgumentKind::kFlag},
                                                             {"fixed", ArgumentKind::kFixed},
                                                             {"value", ArgumentKind::kValue},
                                                             {"address", ArgumentKind::kAddress},
                                                             {"secret", ArgumentKind::kSecretFile}};
  return kKinds.at(name);
}

HostPlan PlanOf(const json& j) {
  HostPlan plan;
  plan.host = j.at("host").get<std::string>();
  plan.address = j.value("address", "");
  plan.generation = j.value("generation", 1);
  for (const json& s : j.value("services", json::array())) {
    automon::backends::PlannedService service;
    service.name = s.at("name").get<std::string>();
    service.description = s.value("description", service.name);
    CheckPlan& p = service.plan;
    p.command = s.at("command").get<std::string>();
    p.program.name = s.at("program").get<std::string>();
    p.program.source = s.value("source", "plugins") == "probes"
                           ? automon::backends::ProgramSource::kAutomonProbes
                           : automon::backends::ProgramSource::kMonitoringPlugins;
    for (const json& a : s.value("arguments", json::array())) {
      p.arguments.push_back(Argument{a.value("option", ""), KindOf(a.at("kind")),
                                     a.value("value", ""), a.value("joined", false)});
    }
    if (s.contains("env")) {
      p.secret_environment =
          automon::backends::SecretEnvironment{s["env"].at("variable"), s["env"].at("file")};
    }
    if (s.contains("timeout")) p.timeout_seconds = s["timeout"].get<int>();
    if (s.contains("interval")) p.interval_seconds = s["interval"].get<int>();
    plan.services.push_back(std::move(service));
  }
  for (const json& f : j.value("secrets", json::array())) {
    plan.secrets.push_back({f.at("path"), f.at("content")});
  }
  return plan;
}

// One shape per command name, values cleared; `skip` left out (so a test
// can render a plan whose command is defined nowhere).
std::vector<CheckPlan> ShapesOf(const std::vector<HostPlan>& plans, std::set<std::string> skip) {
  std::vector<CheckPlan> shapes;
  std::set<std::string>& seen = skip;
  for (const HostPlan& plan : plans) {
    for (const auto& s : plan.services) {
      if (!seen.insert(s.plan.command).second) continue;
      CheckPlan shape = s.plan;
      for (Argument& a : shape.arguments) {
        if (a.kind != ArgumentKind::kFlag) a.value.clear();
      }
      shapes.push_back(std::move(shape));
    }
  }
  return shapes;
}

int Fail(const std::string& message) {
  std::cout << json{{"error", message}}.dump() << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: icinga2_driver render PROBES_DIR ZONE < plans.json\n"
                 "       icinga2_driver activate REGISTRAR_CONF STATE_DIR < plans.json\n";
    return 64;
  }
  const std::string mode = argv[1];
  const json input = json::parse(std::cin);
  if (mode == "results") {
    automon::RealFileSystem fs;
    auto loaded = automon::registrar::LoadConfig(fs, argv[2], true);
    if (!loaded) return Fail(loaded.error().message);
    std::vector<automon::registrar::CoreResult> results;
    for (const json& r : input.at("results")) {
      results.push_back({r.at("host"), r.at("service"), r.at("description"), r.at("state"),
                         r.at("output"), r.at("long_output"), r.at("perfdata"), r.at("time")});
    }
    auto writer = automon::registrar::MakeResultWriter(*loaded, fs);
    json out = json::array();
    for (const auto& outcome : writer->Write(results)) {
      out.push_back(
          {std::string(automon::formats::ResultStatusName(outcome.status)), outcome.detail});
    }
    std::cout << out.dump() << "\n";
    return 0;
  }
  std::vector<HostPlan> plans;
  for (const json& h : input.at("hosts")) plans.push_back(PlanOf(h));

  automon::RealFileSystem fs;
  automon::registrar::Config config;
  automon::backends::Icinga2Options options;
  options.generated_at = "test";
  std::optional<std::string> templates;
  if (mode == "render") {
    options.probes_dir = argv[2];
    options.zone = argv[3];
  } else {
    auto loaded = automon::registrar::LoadConfig(fs, argv[2], true);
    if (!loaded) return Fail(loaded.error().message);
    config = *loaded;
    options.probes_dir = config.icinga2_probes_dir;
    options.zone = config.icinga2_zone;
    if (!config.icinga2_templates_file.empty()) {
      options.templates_file = config.icinga2_templates_file;
      auto text = fs.ReadFile(config.icinga2_templates_file, 1 << 20);
      if (!text) return Fail(text.error().message);
      templates = *text;
    }
  }
  const automon::backends::Icinga2Renderer renderer(options);
  auto common = automon::backends::RenderIcinga2Common(
      ShapesOf(plans, input.value("skip_shapes", std::set<std::string>{})), templates, options);
  if (!common) return Fail(common.error().message);

  json out;
  out["common"] = *common;
  automon::registrar::ActivationRequest request;
  request.common = *common;
  std::map<std::string, std::vector<automon::backends::SecretFile>> secrets;
  json rejected = json::object();
  for (const HostPlan& plan : plans) {
    auto host = renderer.RenderHost(plan);
    if (!host) {
      rejected[plan.host] = host.error().message;
      continue;
    }
    json services = json::array();
    for (const auto& s : host->services) services.push_back({s.name, s.rendered, s.reason});
    out["hosts"][plan.host] = {{"file", renderer.HostFileName(plan.host)},
                               {"content", host->content},
                               {"services", services}};
    request.hosts[plan.host] = host->content;
    secrets[plan.host] = host->secrets;
  }
  out["rejected"] = rejected;
  if (mode == "render") {
    std::cout << out.dump() << "\n";
    return 0;
  }

  const std::string state_dir = argv[3];
  automon::registrar::RealDisk disk;
  automon::RealProcessRunner runner;
  automon::registrar::Icinga2Activator activator(config, fs, disk, runner, state_dir + "/staging",
                                                 state_dir + "/reload-pending");
  auto before_swap = [&](const std::vector<std::string>& hosts) -> automon::Result<void> {
    for (const std::string& host : hosts) {
      for (const auto& f : secrets[host]) {
        if (auto r = fs.MakeDirectories(automon::DirectoryOf(f.path), 0750); !r) return r;
        if (auto w = fs.WriteFileAtomic(f.path, f.content, 0640); !w) return w;
      }
    }
    return {};
  };
  auto outcome = activator.Activate(request, before_swap);
  if (!outcome) return Fail(outcome.error().message);
  std::cout << json{{"activated", outcome->activated},
                    {"unchanged", outcome->unchanged},
                    {"quarantined", outcome->quarantined},
                    {"rejected", rejected},
                    {"reloaded", outcome->reloaded}}
                   .dump()
            << "\n";
  return 0;
}
