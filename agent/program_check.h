// SPDX-License-Identifier: GPL-2.0-or-later
// The rule for the program of a `command` service (monitoring-info(5)): a
// regular file owned by root and writable by nobody else, so that only
// root can change what the agent runs (possibly as root). Checked by
// `automon-agent check` and again by the scheduler before every run.
#ifndef AUTOMON_AGENT_PROGRAM_CHECK_H_
#define AUTOMON_AGENT_PROGRAM_CHECK_H_

#include <string>

#include "common/file_system.h"
#include "common/result.h"

namespace automon::agent {

// Ok, or an Error saying what is wrong with `path`, e.g.
//   program '/usr/local/bin/x' is writable by group or others (mode 0775)
Result<void> VerifyProgram(FileSystem& fs, const std::string& path);

}  // namespace automon::agent

#endif  // AUTOMON_AGENT_PROGRAM_CHECK_H_
