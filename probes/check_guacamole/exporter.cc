// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_guacamole/exporter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>
#include <utility>

#include "common/parse_integer.h"
#include "probes/lib/check_result.h"
#include "probes/lib/secret_options.h"

namespace automon::guacamole {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxTargetsFile = 1 << 20;
constexpr size_t kMaxTargetName = 100;

bool ValidHostName(std::string_view host) {
  if (host.empty() || host.size() > 253) return false;
  if (host.find(':') != std::string_view::npos) {
    return host.find_first_not_of("0123456789abcdefABCDEF:.") == std::string_view::npos;
  }
  return std::all_of(host.begin(), host.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_';
  });
}

bool ValidName(std::string_view name) {
  return !name.empty() && name.size() <= kMaxTargetName &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
         });
}

Result<void> CheckDataSource(std::string_view source) {
  if (source == "auto" || ValidName(source)) return {};
  return Error{fmt::format("invalid data source '{}': expected a name such as mysql, or auto",
                           probe::SanitizeLine(source))};
}

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r')) {
    text.remove_suffix(1);
  }
  return text;
}

probe::ServerResponse TextResponse(int status, std::string body) {
  probe::ServerResponse response;
  response.status = status;
  response.body = std::move(body) + "\n";
  return response;
}

}  // namespace

Result<void> ApplyEndpoint(std::string_view endpoint, Config& config) {
  std::string_view rest = endpoint;
  auto invalid = [&](std::string_view why) {
    return Error{
        fmt::format("invalid Guacamole endpoint '{}': {}", probe::SanitizeLine(endpoint), why)};
  };
  if (rest.starts_with("https://")) {
    config.protocol = "https";
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    config.protocol = "http";
    rest.remove_prefix(7);
  } else {
    return invalid("expected http://HOST[:PORT]/PATH or https://...");
  }
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return invalid("credentials do not belong in the URL");
  }
  std::string_view host = authority;
  std::string_view port;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) return invalid("unclosed '['");
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (!after.starts_with(':')) return invalid("junk after the IPv6 address");
      port = after.substr(1);
    }
  } else if (size_t colon = authority.find(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  if (!ValidHostName(host)) return invalid("expected a host name or an IP address");
  config.host = std::string(host);
  config.port.reset();
  if (!port.empty()) {
    Result<int> value = ParseInteger(port, 1, 65535);
    if (!value) return invalid("the port must be 1 to 65535");
    config.port = *value;
  }
  for (char c : path) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || c == '?' || c == '#' || c == '%' || c == '\\') {
      return invalid("the path may not contain spaces, '?', '#' or '%'");
    }
  }
  config.uri = NormalizeUri(path);
  return {};
}

bool WantsServe(int argc, char* argv[]) {
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") return false;
    if (arg == "--serve" || arg.starts_with("--serve=")) return true;
  }
  return false;
}

Result<ExporterSettings> ParseServeCommandLine(int argc, char* argv[], const Environment& env,
                                               FileSystem& fs) {
  ExporterSettings settings;
  std::optional<std::string> config_file;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::string_view name = arg.substr(0, arg.find('='));
    std::optional<std::string_view> inline_value;
    if (arg.starts_with("--") && arg.find('=') != std::string_view::npos) {
      inline_value = arg.substr(arg.find('=') + 1);
    }
    auto value = [&]() -> Result<std::string> {
      if (inline_value) return std::string(*inline_value);
      if (i + 1 >= argc) return Error{fmt::format("option '{}' needs a value", name)};
      return std::string(argv[++i]);
    };
    auto seconds = [&](int min, int max) -> Result<int> {
      Result<std::string> text = value();
      if (!text) return text.error();
      Result<int> number = ParseInteger(*text, min, max);
      if (!number) {
        return Error{
            fmt::format("invalid {} '{}': expected {} to {} seconds", name, *text, min, max)};
      }
      return *number;
    };
    if (name == "--serve") {
      if (inline_value) {
        settings.listen = std::string(*inline_value);
      } else if (i + 1 < argc && argv[i + 1][0] != '-') {
        settings.listen = argv[++i];
      }
    } else if (name == "--config") {
      Result<std::string> file = value();
      if (!file) return file.error();
      config_file = *file;
    } else if (name == "-t" || name == "--timeout") {
      Result<int> s = seconds(1, 3600);
      if (!s) return s.error();
      settings.policy.timeout = std::chrono::seconds(*s);
    } else if (name == "--totals-interval") {
      Result<int> s = seconds(0, 86400);
      if (!s) return s.error();
      settings.policy.totals_interval = std::chrono::seconds(*s);
    } else if (name == "--login-backoff") {
      Result<int> s = seconds(0, 86400);
      if (!s) return s.error();
      settings.policy.login_backoff = std::chrono::seconds(*s);
    } else if (arg == "--login-per-scrape") {
      settings.policy.login_per_scrape = true;
    } else if (arg == "-h" || arg == "--help") {
      settings.help = true;
    } else if (arg == "-V" || arg == "--version") {
      settings.version = true;
    } else {
      return Error{fmt::format("unknown option '{}' for --serve (see --serve --help)",
                               probe::SanitizeLine(name))};
    }
  }
  if (settings.help || settings.version) return settings;
  const std::string credentials = env("CREDENTIALS_DIRECTORY").value_or("");

  if (std::optional<std::string> endpoint = env("GUACAMOLE_ENDPOINT")) {
    TargetSettings target;
    target.name = "metrics";
    target.config.format = OutputFormat::kPrometheus;
    target.config.data_source = "auto";
    if (Result<void> applied = ApplyEndpoint(*endpoint, target.config); !applied) {
      return Error{"GUACAMOLE_ENDPOINT: " + applied.error().message};
    }
    target.config.username = env("GUACAMOLE_USERNAME").value_or("");
    if (target.config.username.empty()) {
      return Error{"GUACAMOLE_USERNAME is not set (GUACAMOLE_ENDPOINT is)"};
    }
    std::optional<std::string> password = env("GUACAMOLE_PASSWORD");
    std::optional<std::string> password_file = env("GUACAMOLE_PASSWORD_FILE");
    if (password && password_file) {
      return Error{"set only one of GUACAMOLE_PASSWORD and GUACAMOLE_PASSWORD_FILE"};
    }
    if (password_file) {
      Result<std::string> read =
          probe::ReadPasswordFile(fs, SecretPath(*password_file, credentials));
      if (!read) return Error{"GUACAMOLE_PASSWORD_FILE: " + read.error().message};
      password = std::move(read).value();
    }
    if (!password || password->empty()) {
      return Error{"no password: set GUACAMOLE_PASSWORD_FILE (or GUACAMOLE_PASSWORD)"};
    }
    target.config.password = std::move(*password);
    if (std::optional<std::string> source = env("GUACAMOLE_DATASOURCE");
        source && !source->empty()) {
      if (Result<void> ok = CheckDataSource(*source); !ok) {
        return Error{"GUACAMOLE_DATASOURCE: " + ok.error().message};
      }
      target.config.data_source = *source;
    }
    settings.metrics = std::move(target);
  }
  if (config_file) {
    Result<std::string> text = fs.ReadFile(*config_file, kMaxTargetsFile);
    if (!text) return Error{fmt::format("cannot read --config: {}", text.error().message)};
    Result<std::vector<TargetSettings>> targets =
        ParseTargetsFile(*text, *config_file, fs, credentials);
    if (!targets) return targets.error();
    settings.targets = std::move(targets).value();
  }
  if (!settings.metrics && !config_file) {
    return Error{
        "nothing to export: set GUACAMOLE_ENDPOINT (for /metrics) or give --config FILE "
        "(targets for /probe)"};
  }
  for (TargetSettings* target : [&] {
         std::vector<TargetSettings*> all;
         if (settings.metrics) all.push_back(&*settings.metrics);
         for (TargetSettings& t : settings.targets) all.push_back(&t);
         return all;
       }()) {
    target->config.timeout.duration =
        std::chrono::duration_cast<std::chrono::seconds>(settings.policy.timeout);
  }
  return settings;
}

std::string SecretPath(std::string_view path, std::string_view credentials_directory) {
  if (path.starts_with('/') || credentials_directory.empty()) return std::string(path);
  std::string out(credentials_directory);
  if (!out.ends_with('/')) out += '/';
  return out + std::string(path);
}

Result<std::vector<TargetSettings>> ParseTargetsFile(std::string_view text,
                                                     std::string_view filename, FileSystem& fs,
                                                     std::string_view credentials_directory) {
  struct Pending {
    TargetSettings target;
    size_t line = 0;
    std::optional<std::string> password_file;
    bool has_endpoint = false;
  };
  std::vector<Pending> pending;
  size_t number = 0;
  size_t start = 0;
  auto at = [&](size_t line, std::string_view what) {
    return Error{fmt::format("{}:{}: {}", filename, line, what)};
  };
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = Trim(text.substr(start, end - start));
    start = end + 1;
    ++number;
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (std::any_of(line.begin(), line.end(), [](char c) {
          unsigned char u = static_cast<unsigned char>(c);
          return (u < 0x20 && c != '\t') || u == 0x7f;
        })) {
      return at(number, "control characters");
    }
    if (line.front() == '[') {
      if (line.back() != ']') return at(number, "expected [NAME]");
      std::string_view name = Trim(line.substr(1, line.size() - 2));
      if (!ValidName(name)) {
        return at(number, "a target name is 1 to 100 letters, digits, '-', '_' or '.'");
      }
      for (const Pending& p : pending) {
        if (p.target.name == name) {
          return at(number, fmt::format("target '{}' already defined on line {}", name, p.line));
        }
      }
      Pending p;
      p.target.name = std::string(name);
      p.target.config.format = OutputFormat::kPrometheus;
      p.target.config.data_source = "auto";
      p.line = number;
      pending.push_back(std::move(p));
      continue;
    }
    size_t eq = line.find('=');
    if (eq == std::string_view::npos) return at(number, "expected KEY = VALUE or [NAME]");
    std::string_view key = Trim(line.substr(0, eq));
    std::string_view value = Trim(line.substr(eq + 1));
    if (key == "password") {
      // Never quote the line: it holds a password.
      return at(number, "passwords do not go in this file: use password_file = FILE");
    }
    if (pending.empty()) return at(number, "a key before the first [NAME]");
    Pending& p = pending.back();
    Config& config = p.target.config;
    if (key == "endpoint") {
      if (Result<void> ok = ApplyEndpoint(value, config); !ok) {
        return at(number, ok.error().message);
      }
      p.has_endpoint = true;
    } else if (key == "username") {
      config.username = std::string(value);
    } else if (key == "password_file") {
      p.password_file = std::string(value);
    } else if (key == "data_source") {
      if (Result<void> ok = CheckDataSource(value); !ok) return at(number, ok.error().message);
      config.data_source = std::string(value);
    } else if (key == "ca_file") {
      config.ca_file = std::string(value);
    } else if (key == "insecure") {
      if (value != "yes" && value != "no") return at(number, "insecure is yes or no");
      config.insecure = value == "yes";
    } else {
      return at(number, fmt::format("unknown key '{}' (endpoint, username, password_file, "
                                    "data_source, ca_file, insecure)",
                                    probe::SanitizeLine(key)));
    }
  }
  std::vector<TargetSettings> targets;
  for (Pending& p : pending) {
    if (!p.has_endpoint)
      return at(p.line, fmt::format("target '{}' has no endpoint", p.target.name));
    if (p.target.config.username.empty()) {
      return at(p.line, fmt::format("target '{}' has no username", p.target.name));
    }
    if (!p.password_file) {
      return at(p.line, fmt::format("target '{}' has no password_file", p.target.name));
    }
    Result<std::string> password =
        probe::ReadPasswordFile(fs, SecretPath(*p.password_file, credentials_directory));
    if (!password) {
      return at(p.line, fmt::format("target '{}': {}", p.target.name, password.error().message));
    }
    p.target.config.password = std::move(password).value();
    targets.push_back(std::move(p.target));
  }
  return targets;
}

std::string ServeHelpText() {
  return "check_guacamole --serve - Prometheus exporter for Apache Guacamole\n"
         "\n"
         "Usage:\n"
         " check_guacamole --serve [[ADDR:]PORT] [--config FILE] [-t SECONDS]\n"
         "   [--totals-interval SECONDS] [--login-backoff SECONDS] [--login-per-scrape]\n"
         "\n"
         "A drop-in for guacamole_exporter: GET /metrics scrapes the Guacamole given by\n"
         "GUACAMOLE_ENDPOINT (base URL with the path, e.g. http://guac:8080/guacamole),\n"
         "GUACAMOLE_USERNAME, GUACAMOLE_PASSWORD_FILE or GUACAMOLE_PASSWORD and\n"
         "GUACAMOLE_DATASOURCE (default auto). GET /probe?target=NAME scrapes a target\n"
         "of the --config file. The token is kept across scrapes.\n"
         "\n"
         "Options:\n"
         " --serve [[ADDR:]PORT]\n"
         "    Listen address (default :9623, every address)\n"
         " --config FILE\n"
         "    Targets for /probe: [NAME] sections with endpoint, username,\n"
         "    password_file, data_source, ca_file, insecure\n"
         " -t, --timeout SECONDS\n"
         "    Time limit of one scrape (default 10)\n"
         " --totals-interval SECONDS\n"
         "    Read users and connection history at most this often (default 60;\n"
         "    0: on every scrape); active connections are read on every scrape\n"
         " --login-backoff SECONDS\n"
         "    No new login for this long after Guacamole refused the credentials\n"
         "    (default 300, Guacamole's ban window)\n"
         " --login-per-scrape\n"
         "    Log in and out on every scrape, as guacamole_exporter does\n"
         "\n"
         "See the EXPORTER section of check_guacamole(1).\n";
}

Target::Target(TargetSettings settings, std::unique_ptr<probe::HttpClient> http,
               ScrapePolicy policy, Now now)
    : settings_(std::move(settings)),
      http_(std::move(http)),
      policy_(policy),
      now_(std::move(now)),
      client_(*http_, settings_.config) {}

std::optional<std::chrono::milliseconds> ScrapeLimit(std::string_view header) {
  double seconds = 0;
  auto [end, error] = std::from_chars(header.data(), header.data() + header.size(), seconds);
  if (error != std::errc() || end != header.data() + header.size() || !(seconds > 0) ||
      seconds > 86400) {
    return std::nullopt;
  }
  auto ms = static_cast<int64_t>(seconds * 1000) - 500;
  return std::chrono::milliseconds(std::max<int64_t>(ms, 100));
}

MetricsSample Target::Scrape(std::optional<std::chrono::milliseconds> limit) {
  const std::chrono::milliseconds timeout =
      limit ? std::min(*limit, policy_.timeout) : policy_.timeout;
  const Clock::time_point started = now_();
  const auto real_start = Clock::now();
  MetricsSample sample;
  if (no_login_before_ && started < *no_login_before_ && !client_.has_token()) {
    auto wait = std::chrono::duration_cast<std::chrono::seconds>(*no_login_before_ - started);
    sample.comments.push_back(fmt::format(
        "Error: {}; no new login for {} more seconds (Guacamole bans an address after repeated "
        "failed logins)",
        refusal_, wait.count() + 1));
    sample.duration_seconds = 0;
    was_up_ = false;
    return sample;
  }
  probe::Outcome<Measurement> outcome = probe::ProbeError{probe::kUnknown, "not run"};
  bool refused = false;
  bool totals = policy_.login_per_scrape || !totals_due_ || started >= *totals_due_;
  if (policy_.login_per_scrape) {
    GuacamoleClient once(*http_, settings_.config);
    outcome = once.Measure(BudgetFor(timeout));
    logins_ += once.logins();
    refused = once.credentials_refused();
  } else {
    int before = client_.logins();
    outcome = client_.Scrape(probe::Deadline::After(timeout), totals);
    logins_ += client_.logins() - before;
    refused = client_.credentials_refused();
  }
  if (!outcome.ok() && refused) {
    no_login_before_ = started + policy_.login_backoff;
    refusal_ = outcome.error().message;
  } else if (outcome.ok()) {
    no_login_before_.reset();
  }
  sample = SampleOf(outcome);
  if (outcome.ok()) {
    if (totals) {
      if (outcome.value().failed_queries == 0) {
        users_ = outcome.value().users;
        history_ = outcome.value().history;
        totals_due_ = started + policy_.totals_interval;
      } else {
        users_.reset();
        history_.reset();
        totals_due_.reset();
      }
    } else {
      sample.users = users_;
      sample.history = history_;
    }
  }
  const std::chrono::duration<double> took = Clock::now() - real_start;
  sample.duration_seconds = took.count();
  if (log_ && was_up_ != sample.up) {
    if (sample.up) {
      log_(fmt::format("target {}: up", settings_.name));
    } else {
      std::string why = sample.comments.empty() ? "a query failed" : sample.comments.front();
      log_(fmt::format("target {}: down: {}", settings_.name, probe::SanitizeLine(why)));
    }
  }
  was_up_ = sample.up;
  return sample;
}

std::optional<std::string> Target::Logout() {
  return client_.Logout(
      probe::Deadline::After(std::min(policy_.timeout, std::chrono::milliseconds(5000))));
}

Exporter::Exporter(std::unique_ptr<Target> metrics, std::vector<std::unique_ptr<Target>> targets)
    : metrics_(std::move(metrics)) {
  for (std::unique_ptr<Target>& target : targets) {
    std::string name = target->name();
    targets_.emplace(std::move(name), std::move(target));
  }
}

probe::ServerResponse Exporter::Handle(const probe::ServerRequest& request) {
  std::optional<std::chrono::milliseconds> limit;
  for (const auto& [name, value] : request.headers) {
    if (name == "x-prometheus-scrape-timeout-seconds") limit = ScrapeLimit(value);
  }
  auto metrics = [&limit](Target& target) {
    probe::ServerResponse response;
    response.content_type = std::string(kMetricsContentType);
    response.body = PrometheusText(target.Scrape(limit));
    return response;
  };
  if (request.path == "/metrics") {
    if (!metrics_) {
      return TextResponse(404,
                          "/metrics is not configured (no GUACAMOLE_ENDPOINT); use "
                          "/probe?target=NAME");
    }
    return metrics(*metrics_);
  }
  if (request.path == "/probe") {
    Result<std::optional<std::string>> name = probe::QueryParameter(request.query, "target");
    if (!name) return TextResponse(400, name.error().message);
    if (!*name || (*name)->empty()) {
      std::string known;
      for (const auto& [n, t] : targets_) known += (known.empty() ? "" : ", ") + n;
      return TextResponse(400, fmt::format("missing ?target=NAME; configured targets: {}",
                                           known.empty() ? "none" : known));
    }
    auto it = targets_.find(**name);
    if (it == targets_.end()) {
      std::string shown = probe::SanitizeLine(**name);
      if (shown.size() > kMaxTargetName) shown = shown.substr(0, kMaxTargetName) + "...";
      return TextResponse(404, fmt::format("unknown target '{}': not in the --config file", shown));
    }
    return metrics(*it->second);
  }
  return TextResponse(404,
                      "not found: this exporter serves GET /metrics and GET /probe?target=NAME");
}

std::vector<std::string> Exporter::Reload(const std::optional<TargetSettings>& metrics,
                                          const std::vector<TargetSettings>& targets,
                                          const TargetFactory& make) {
  std::vector<std::string> lines;
  auto retire = [&](Target& target, std::string_view why) {
    lines.push_back(fmt::format("target {}: {}", target.name(), why));
    if (std::optional<std::string> note = target.Logout()) {
      lines.push_back(target.name() + ": " + *note);
    }
  };
  // /metrics
  if (!(metrics_ && metrics && metrics_->settings() == *metrics)) {
    if (metrics_) {
      retire(*metrics_, metrics ? "changed, logged out" : "removed, logged out");
    } else if (metrics) {
      lines.push_back("target metrics: added");
    }
    metrics_ = metrics ? make(*metrics) : nullptr;
  }
  // /probe targets
  std::map<std::string, std::unique_ptr<Target>, std::less<>> next;
  for (const TargetSettings& settings : targets) {
    auto it = targets_.find(settings.name);
    if (it != targets_.end() && it->second->settings() == settings) {
      next.emplace(settings.name, std::move(it->second));
      targets_.erase(it);
      continue;
    }
    if (it != targets_.end()) {
      retire(*it->second, "changed, logged out");
      targets_.erase(it);
    } else {
      lines.push_back(fmt::format("target {}: added", settings.name));
    }
    next.emplace(settings.name, make(settings));
  }
  for (auto& [name, target] : targets_) retire(*target, "removed, logged out");
  targets_ = std::move(next);
  return lines;
}

std::vector<std::string> Exporter::LogoutAll() {
  std::vector<std::string> notes;
  auto logout = [&](Target& target) {
    if (std::optional<std::string> note = target.Logout()) {
      notes.push_back(target.name() + ": " + *note);
    }
  };
  if (metrics_) logout(*metrics_);
  for (auto& [name, target] : targets_) logout(*target);
  return notes;
}

}  // namespace automon::guacamole
