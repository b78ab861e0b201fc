// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/testing/registrar_fixture.h"

#include <utility>

#include "common/check.h"
#include "formats/parser.h"

namespace automon::testing {

std::string Document(uint64_t generation, const std::string& definitions,
                     std::vector<formats::Removal> removed, const std::string& host) {
  formats::Snapshot s;
  s.host = host;
  s.address = "192.0.2.10";
  s.generation = generation;
  const auto parsed = formats::ParseDefinitions(definitions, "/etc/monitoring-info/x");
  AUTOMON_CHECK(!HasErrors(parsed.diagnostics));
  s.services = parsed.services;
  s.removed = std::move(removed);
  return formats::SerializeSnapshot(s);
}

Result<void> UseNagiosLayout(FileSystem& fs, registrar::Disk& disk, const std::string& dir,
                             registrar::Config& config) {
  config.state_dir = dir + "/state";
  config.nagios_cfg = dir + "/nagios.cfg";
  config.output_dir = dir + "/conf.d/automon";
  config.templates_file = dir + "/templates.cfg";
  config.reload_command = "reload";
  config.quiet_period_ms = 0;
  if (auto r = disk.MakeDirectory(dir + "/conf.d", 0755); !r) return r;
  if (auto r = fs.WriteFileAtomic(config.nagios_cfg, "cfg_dir=" + dir + "/conf.d\n", 0644); !r) {
    return r;
  }
  return fs.WriteFileAtomic(config.templates_file, "define host { tpl }\n", 0644);
}

}  // namespace automon::testing
