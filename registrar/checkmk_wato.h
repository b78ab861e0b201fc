// SPDX-License-Identifier: GPL-2.0-or-later
// checkmk_wato: the hosts that a Checkmk site's Setup (formerly WATO)
// manages, so that automon never defines one of them a second time.
//
// Setup keeps its hosts in conf.d/wato/: one hosts.mk per folder, written
// by Checkmk (cmk/utils/host_storage.py) as
//
//   all_hosts += ['web01', 'web02']
//   clusters.update({'cluster1': ['node1', 'node2']})
//   host_tags.update({...})  ipaddresses.update({...})  ...
//
// (Checkmk 1.x wrote "name|tag|tag|/" + FOLDER_PATH + "/" entries; the name
// is the part before the first '|'.) A site executes these files; automon
// reads them as text with a Python tokenizer and never executes them, so a
// registrar running as root does not run the site user's code. Only the
// two statements above name hosts: any other use of `all_hosts` or
// `clusters`, or an entry that does not start with a string literal, is an
// error rather than a guess.
#ifndef AUTOMON_REGISTRAR_CHECKMK_WATO_H_
#define AUTOMON_REGISTRAR_CHECKMK_WATO_H_

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/file_system.h"
#include "common/result.h"
#include "registrar/config.h"

namespace automon::registrar {

// Setup's directory for the site of `config`: "wato" in the nearest
// ancestor of [checkmk] conf_dir named "conf.d" (the default conf_dir is
// <site>/etc/check_mk/conf.d/automon), else
// /omd/sites/<site>/etc/check_mk/conf.d/wato.
std::string CheckmkSetupDir(const Config& config);

// The host names (hosts and clusters) that the hosts.mk `text` defines, in
// file order. `path` names the file in errors ("path:line: message").
Result<std::vector<std::string>> ParseSetupHostsFile(std::string_view text, std::string_view path);

// Every host of every hosts.mk below `setup_dir` (any depth), mapped to the
// folder that holds it, relative to `setup_dir` ("" for the main folder).
// A missing `setup_dir` has no hosts. Errors: an unreadable directory or
// file, a file that does not parse, more than 64 levels or 100,000 folders
// (a link loop).
Result<std::map<std::string, std::string>> ReadSetupHosts(FileSystem& fs,
                                                          const std::string& setup_dir);

// For each host of `hosts` that has content (nullopt is a removal, always
// allowed) and that Setup below `setup_dir` manages, the reason to refuse
// it, which says how to hand the host to automon. Names compare without
// regard to ASCII case. Reads nothing when no host has content. The Error
// of ReadSetupHosts is returned with what the administrator must do.
Result<std::map<std::string, std::string>> SetupManagedHosts(
    FileSystem& fs, const std::string& setup_dir,
    const std::map<std::string, std::optional<std::string>>& hosts);

}  // namespace automon::registrar

#endif  // AUTOMON_REGISTRAR_CHECKMK_WATO_H_
