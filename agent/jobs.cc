// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/jobs.h"

#include "backends/plan.h"
#include "formats/command_line.h"
#include "formats/results.h"
#include "formats/schedule.h"

namespace automon::agent {

bool IsLocalCheck(const formats::Service& s) {
  if (s.type == formats::ServiceType::kCommand) return true;
  return s.type == formats::ServiceType::kHaproxy && s.Get("stats").value_or("").starts_with("/");
}

std::vector<Job> JobsFor(const formats::Snapshot& snapshot) {
  std::vector<Job> jobs;
  std::optional<backends::HostPlan> plan;
  for (const formats::Service& s : snapshot.services) {
    if (!IsLocalCheck(s)) continue;
    Job job;
    job.name = s.name;
    if (s.type == formats::ServiceType::kCommand) {
      auto argv = formats::SplitCommandLine(s.Get("command").value_or(""));
      if (!argv) continue;  // validated by the parser: cannot happen
      job.argv = std::move(*argv);
      job.interval = std::chrono::seconds(s.GetInt("interval"));
      job.timeout = std::chrono::seconds(s.GetInt("timeout"));
      job.max_instances = static_cast<int>(s.GetInt("max_instances"));
      if (auto text = s.Get("schedule")) {
        if (auto schedule = formats::ParseSchedule(*text)) job.schedule = *schedule;
      }
      if (auto user = s.Get("user")) job.user = std::string(*user);
    } else {
      if (!plan) plan = backends::PlanHost(snapshot, {});
      const backends::CheckPlan* check = nullptr;
      for (const backends::PlannedService& p : plan->services) {
        if (p.name == s.name) check = &p.plan;
      }
      if (check == nullptr || check->program.name.empty()) continue;
      job.argv = {std::string(kPluginDirectory) + "/" + check->program.name};
      for (const backends::Argument& a : check->arguments) {
        if (a.option.empty()) {
          job.argv.push_back(a.value);
        } else if (a.kind == backends::ArgumentKind::kFlag) {
          job.argv.push_back(a.option);
        } else if (a.joined) {
          job.argv.push_back(a.option + "=" + a.value);
        } else {
          job.argv.push_back(a.option);
          job.argv.push_back(a.value);
        }
      }
      job.interval = std::chrono::seconds(kHaproxySocketInterval);
      job.timeout = std::chrono::seconds(kHaproxySocketTimeout);
    }
    jobs.push_back(std::move(job));
  }
  return jobs;
}

std::map<std::string, int64_t> FreshnessFor(const formats::Snapshot& snapshot) {
  std::map<std::string, int64_t> out;
  for (const formats::Service& s : snapshot.services) {
    if (!IsLocalCheck(s)) continue;
    out[s.name] = s.type == formats::ServiceType::kCommand ? s.GetInt("freshness")
                                                           : 2 * kHaproxySocketInterval + 60;
  }
  out[std::string(formats::kHeartbeatService)] = 2 * kHeartbeatSeconds + 60;
  return out;
}

}  // namespace automon::agent
