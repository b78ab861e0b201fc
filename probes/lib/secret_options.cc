// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/lib/secret_options.h"

#include <fmt/format.h>

#include "probes/lib/check_result.h"

namespace automon::probe {
namespace {

constexpr size_t kMaxPasswordFile = 64 * 1024;

std::string Shown(std::string_view text) { return SanitizeLine(text.substr(0, 200)); }

}  // namespace

Result<std::string> ReadPasswordFile(FileSystem& fs, const std::string& path) {
  Result<std::string> content = fs.ReadFile(path, kMaxPasswordFile);
  if (!content) {
    return Error{fmt::format("cannot read --password-file: {}", content.error().message)};
  }
  std::string password = std::move(content).value();
  if (password.ends_with('\n')) password.pop_back();
  if (password.ends_with('\r')) password.pop_back();
  if (password.empty()) return Error{fmt::format("--password-file '{}' is empty", Shown(path))};
  if (password.find('\n') != std::string::npos) {
    return Error{fmt::format("--password-file '{}' holds more than one line", Shown(path))};
  }
  return password;
}

Result<void> RejectAbbreviations(int argc, char* argv[], const option* options,
                                 std::string_view short_with_value) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") break;
    if (arg.starts_with("--")) {
      std::string_view name = arg.substr(2, arg.find('=') - 2);
      const option* match = nullptr;
      for (const option* o = options; o->name != nullptr; ++o) {
        if (name == o->name) match = o;
      }
      if (match == nullptr) {
        return Error{fmt::format("unknown option '--{}' (see --help)", Shown(name))};
      }
      if (match->has_arg == required_argument && arg.find('=') == std::string_view::npos) ++i;
    } else if (arg.size() == 2 && arg[0] == '-' &&
               short_with_value.find(arg[1]) != std::string_view::npos) {
      ++i;  // its value, whatever it looks like
    }
  }
  return {};
}

}  // namespace automon::probe
