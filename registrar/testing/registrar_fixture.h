// SPDX-License-Identifier: GPL-2.0-or-later
// Set-up shared by the tests of the Registrar (registrar_test.cc,
// registrar_backends_test.cc): the document an agent sends, and the private
// Nagios layout a Registrar under test activates into.
#ifndef AUTOMON_REGISTRAR_TESTING_REGISTRAR_FIXTURE_H_
#define AUTOMON_REGISTRAR_TESTING_REGISTRAR_FIXTURE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "common/file_system.h"
#include "common/result.h"
#include "formats/snapshot.h"
#include "registrar/config.h"
#include "registrar/disk.h"

namespace automon::testing {

// The snapshot of `host` (address 192.0.2.10) at `generation`: the
// services of `definitions` (monitoring-info syntax, which must parse
// without errors) and the removals `removed`.
std::string Document(uint64_t generation, const std::string& definitions,
                     std::vector<formats::Removal> removed = {},
                     const std::string& host = "web01.example.org");

// Points `config` at a Nagios layout below `dir`: state_dir, nagios.cfg
// (whose cfg_dir is dir/conf.d), output_dir dir/conf.d/automon, a
// templates file, reload_command "reload" and no quiet period; and writes
// nagios.cfg and the templates ("define host { tpl }"). The caller sets
// verify_command.
Result<void> UseNagiosLayout(FileSystem& fs, registrar::Disk& disk, const std::string& dir,
                             registrar::Config& config);

}  // namespace automon::testing

#endif  // AUTOMON_REGISTRAR_TESTING_REGISTRAR_FIXTURE_H_
