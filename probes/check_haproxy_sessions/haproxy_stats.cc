// SPDX-License-Identifier: GPL-2.0-or-later
#include "probes/check_haproxy_sessions/haproxy_stats.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <fnmatch.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "common/parse_integer.h"
#include "probes/lib/perfdata.h"
#include "probes/lib/state.h"

namespace automon::haproxy {
namespace {

using probe::CheckResult;
using probe::State;

struct Record {
  std::vector<std::string> fields;
  int line = 0;  // where the record starts
};

// Quotes `text` for a message: one line, at most 60 characters.
std::string Excerpt(std::string_view text) {
  constexpr size_t kMax = 60;
  std::string out = probe::SanitizeLine(text.substr(0, std::min(text.size(), kMax)));
  if (text.size() > kMax) out += "...";
  return "'" + out + "'";
}

// Splits `text` into CSV records (RFC 4180 quoting). A comma right before
// the end of a line ends the record without adding an empty field (HAProxy
// ends every line with one); a line that is empty yields no record.
Result<std::vector<Record>> SplitRecords(std::string_view text) {
  std::vector<Record> records;
  size_t i = 0;
  int line = 1;
  const size_t n = text.size();
  auto at_line_end = [&](size_t pos) {
    return pos >= n || text[pos] == '\n' ||
           (text[pos] == '\r' && (pos + 1 >= n || text[pos + 1] == '\n'));
  };
  auto skip_line_end = [&]() {
    if (i < n && text[i] == '\r') ++i;
    if (i < n && text[i] == '\n') {
      ++i;
      ++line;
    }
  };
  while (i < n) {
    if (at_line_end(i)) {  // blank line
      skip_line_end();
      continue;
    }
    Record record;
    record.line = line;
    while (true) {
      std::string field;
      if (text[i] == '"') {
        const int opened_on = line;
        ++i;
        while (true) {
          if (i >= n) return Error{fmt::format("line {}: unterminated quoted field", opened_on)};
          if (text[i] == '"') {
            if (i + 1 < n && text[i + 1] == '"') {
              field += '"';
              i += 2;
              continue;
            }
            ++i;
            break;
          }
          if (text[i] == '\n') ++line;
          field += text[i++];
        }
        if (!at_line_end(i) && text[i] != ',') {
          return Error{fmt::format("line {}: unexpected text after a closing quote", line)};
        }
      } else {
        while (!at_line_end(i) && text[i] != ',') field += text[i++];
      }
      record.fields.push_back(std::move(field));
      if (at_line_end(i)) break;
      ++i;                        // the comma
      if (at_line_end(i)) break;  // trailing comma: no empty last field
    }
    skip_line_end();
    records.push_back(std::move(record));
  }
  return records;
}

bool ParseUnsigned(std::string_view text, uint64_t* out) {
  const Result<uint64_t> n = ParseInteger<uint64_t>(text);
  if (!n) return false;
  *out = *n;
  return true;
}

// An optional number column: empty is "n/a", anything else must be a
// decimal integer.
Result<std::optional<uint64_t>> NumberField(const Record& record, size_t column,
                                            std::string_view name) {
  const std::string& text = record.fields[column];
  if (text.empty()) return std::optional<uint64_t>();
  uint64_t value = 0;
  if (!ParseUnsigned(text, &value)) {
    return Error{
        fmt::format("line {}: {} {} is not a whole number", record.line, name, Excerpt(text))};
  }
  return std::optional<uint64_t>(value);
}

}  // namespace

std::string_view KindName(ProxyKind kind) {
  switch (kind) {
    case ProxyKind::kFrontend:
      return "frontend";
    case ProxyKind::kBackend:
      return "backend";
    case ProxyKind::kServer:
      return "server";
    case ProxyKind::kListener:
      return "listener";
  }
  return "?";
}

Result<std::vector<StatsRow>> ParseStatsCsv(std::string_view text) {
  Result<std::vector<Record>> records = SplitRecords(text);
  if (!records) return records.error();
  if (records->empty()) return Error{"empty reply: no stats header"};

  // The header: "# pxname,svname,...". The '#' is optional here; the
  // column names decide whether this is a stats CSV at all.
  const Record& header_record = records->front();
  // The header's own line, for messages (blank lines may come before it).
  std::string_view first_line = text;
  for (int line = 1; line < header_record.line; ++line) {
    first_line.remove_prefix(first_line.find('\n') + 1);
  }
  first_line = first_line.substr(0, first_line.find('\n'));
  if (first_line.ends_with('\r')) first_line.remove_suffix(1);
  std::vector<std::string> header = header_record.fields;
  std::string& first = header.front();
  if (first.starts_with('#')) {
    size_t name = first.find_first_not_of(' ', 1);
    first.erase(0, name == std::string::npos ? first.size() : name);
  }
  auto column = [&](std::string_view name) -> std::optional<size_t> {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) return std::nullopt;
    return static_cast<size_t>(it - header.begin());
  };
  std::optional<size_t> pxname = column("pxname");
  std::optional<size_t> svname = column("svname");
  if (!pxname || !svname) {
    return Error{
        fmt::format("reply is not HAProxy stats CSV: the first line is {}", Excerpt(first_line))};
  }
  std::optional<size_t> scur = column("scur");
  std::optional<size_t> slim = column("slim");
  std::optional<size_t> status = column("status");
  std::optional<size_t> type = column("type");
  for (auto [index, name] : {std::pair{scur, "scur"}, {slim, "slim"}, {status, "status"}}) {
    if (!index) return Error{fmt::format("line 1: the stats header has no '{}' column", name)};
  }

  std::vector<StatsRow> rows;
  rows.reserve(records->size() - 1);
  for (size_t r = 1; r < records->size(); ++r) {
    const Record& record = (*records)[r];
    if (record.fields.size() != header.size()) {
      return Error{fmt::format("line {}: {} fields where the header has {} (truncated reply?)",
                               record.line, record.fields.size(), header.size())};
    }
    StatsRow row;
    row.line = record.line;
    row.pxname = record.fields[*pxname];
    row.svname = record.fields[*svname];
    row.status = record.fields[*status];
    Result<std::optional<uint64_t>> scur_value = NumberField(record, *scur, "scur");
    if (!scur_value) return scur_value.error();
    row.scur = *scur_value;
    Result<std::optional<uint64_t>> slim_value = NumberField(record, *slim, "slim");
    if (!slim_value) return slim_value.error();
    row.slim = *slim_value;
    if (type) {
      Result<std::optional<uint64_t>> type_value = NumberField(record, *type, "type");
      if (!type_value) return type_value.error();
      if (!type_value->has_value() || **type_value > 3) {
        return Error{fmt::format("line {}: type {} is not 0, 1, 2 or 3", record.line,
                                 Excerpt(record.fields[*type]))};
      }
      row.kind = static_cast<ProxyKind>(**type_value);
    } else if (row.svname == "FRONTEND") {
      row.kind = ProxyKind::kFrontend;
    } else if (row.svname == "BACKEND") {
      row.kind = ProxyKind::kBackend;
    } else {
      row.kind = ProxyKind::kServer;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

bool KindSet::Contains(ProxyKind kind) const {
  switch (kind) {
    case ProxyKind::kFrontend:
      return frontend;
    case ProxyKind::kBackend:
      return backend;
    case ProxyKind::kServer:
      return server;
    case ProxyKind::kListener:
      return false;
  }
  return false;
}

std::string KindSet::ToString() const {
  std::string out;
  for (auto [on, name] :
       {std::pair{frontend, "frontend"}, {backend, "backend"}, {server, "server"}}) {
    if (!on) continue;
    if (!out.empty()) out += ',';
    out += name;
  }
  return out;
}

Result<KindSet> ParseKinds(std::string_view text) {
  KindSet kinds{false, false, false};
  std::string_view rest = text;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view word = rest.substr(0, comma);
    if (word == "frontend") {
      kinds.frontend = true;
    } else if (word == "backend") {
      kinds.backend = true;
    } else if (word == "server") {
      kinds.server = true;
    } else {
      return Error{fmt::format("invalid --kind '{}': {} is not frontend, backend or server",
                               probe::SanitizeLine(text), Excerpt(word))};
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return kinds;
}

probe::Range SessionThreshold::ForLimit(uint64_t slim) const {
  if (!percent) return range;
  AUTOMON_CHECK(slim > 0);
  auto scale = [&](double value) {
    return probe::FormatNumber(value * static_cast<double>(slim) / 100.0);
  };
  std::string text = range.alert_inside ? "@" : "";
  if (range.start_infinite) {
    text += "~:";
  } else if (range.start != 0 || range.end_infinite) {
    text += scale(range.start) + ":";
  }
  if (!range.end_infinite) text += scale(range.end);
  // Parse the text back, so the numbers are exactly the ones perfdata shows.
  Result<probe::Range> scaled = probe::ParseRange(text);
  AUTOMON_CHECK(scaled.ok());
  return std::move(scaled).value();
}

Result<SessionThreshold> ParseSessionThreshold(std::string_view text, std::string_view option) {
  SessionThreshold threshold;
  std::string_view range_text = text;
  if (!range_text.empty() && range_text.back() == '%') {
    threshold.percent = true;
    range_text.remove_suffix(1);
  }
  Result<probe::Range> range = probe::ParseRange(range_text, fmt::format("{} range", option));
  if (!range) {
    // Name the whole argument, '%' included, as the user typed it.
    return Error{fmt::format("invalid {} range '{}': {}", option, probe::SanitizeLine(text),
                             range.error().message.substr(range.error().message.find(": ") + 2))};
  }
  threshold.range = std::move(range).value();
  return threshold;
}

bool Matches(std::string_view pattern, const StatsRow& row) {
  const std::string subject =
      pattern.find('/') != std::string_view::npos ? row.Label() : row.pxname;
  return ::fnmatch(std::string(pattern).c_str(), subject.c_str(), 0) == 0;
}

namespace {

bool IsDown(std::string_view status) { return status == "DOWN" || status.starts_with("DOWN "); }

std::string Percent(uint64_t scur, uint64_t slim) {
  double pct = 100.0 * static_cast<double>(scur) / static_cast<double>(slim);
  return probe::FormatNumber(std::round(pct * 10) / 10) + "%";
}

struct Verdict {
  const StatsRow* row = nullptr;
  State state = probe::kOk;
  std::string reason;  // why the state is not OK; "" when OK
};

std::optional<probe::Range> PerfRange(const std::optional<SessionThreshold>& threshold,
                                      const StatsRow& row) {
  if (!threshold) return std::nullopt;
  if (!threshold->percent) return threshold->range;
  if (!row.slim || *row.slim == 0) return std::nullopt;
  return threshold->ForLimit(*row.slim);
}

Verdict Judge(const Selection& selection, const StatsRow& row) {
  Verdict verdict{&row, probe::kOk, ""};
  // Keeps the worst state and the reason for it (the first one on a tie).
  auto raise = [&](State state, std::string reason) {
    if (verdict.state == probe::kOk ||
        (state != verdict.state && probe::WorseState(verdict.state, state) == state)) {
      verdict.state = state;
      verdict.reason = std::move(reason);
    }
  };
  if (!row.scur) {
    raise(probe::kUnknown, "no current session count (scur is empty)");
  } else {
    const bool has_limit = row.slim && *row.slim > 0;
    for (auto [threshold, state] : {std::pair{&selection.critical, probe::kCritical},
                                    std::pair{&selection.warning, probe::kWarning}}) {
      if (!*threshold) continue;
      const SessionThreshold& t = **threshold;
      if (t.percent && !has_limit) {
        raise(probe::kUnknown,
              fmt::format("no session limit, so the {} threshold '{}%' cannot "
                          "apply",
                          state == probe::kCritical ? "critical" : "warning", t.range.text));
        continue;
      }
      const double value =
          t.percent ? 100.0 * static_cast<double>(*row.scur) / static_cast<double>(*row.slim)
                    : static_cast<double>(*row.scur);
      if (t.range.Alerts(value)) {
        raise(state,
              fmt::format("{} range '{}{}'", state == probe::kCritical ? "critical" : "warning",
                          t.range.text, t.percent ? "%" : ""));
      }
    }
  }
  if (selection.down_critical && IsDown(row.status)) {
    raise(probe::kCritical, fmt::format("status {}", row.status));
  }
  return verdict;
}

// "web/FRONTEND 3 of 10 sessions (30%)", "be/s1 3 sessions".
std::string Describe(const StatsRow& row) {
  if (!row.scur) return row.Label() + " (no session count)";
  if (row.slim && *row.slim > 0) {
    return fmt::format("{} {} of {} sessions ({})", row.Label(), *row.scur, *row.slim,
                       Percent(*row.scur, *row.slim));
  }
  return fmt::format("{} {} sessions", row.Label(), *row.scur);
}

std::string KindsText(const KindSet& kinds) {
  std::string text = kinds.ToString();
  std::replace(text.begin(), text.end(), ',', '/');
  return text;
}

std::string Available(const std::vector<StatsRow>& rows, const KindSet& kinds) {
  std::set<std::string> names;
  for (const StatsRow& row : rows) {
    if (!kinds.Contains(row.kind)) continue;
    names.insert(row.kind == ProxyKind::kServer ? row.Label() : row.pxname);
  }
  if (names.empty()) return "none";
  std::string out;
  size_t shown = 0;
  for (const std::string& name : names) {
    if (shown == 10) {
      out += fmt::format(", and {} more", names.size() - shown);
      break;
    }
    if (!out.empty()) out += ", ";
    out += name;
    ++shown;
  }
  return out;
}

}  // namespace

CheckResult Evaluate(const Selection& selection, const std::vector<StatsRow>& rows) {
  std::vector<const StatsRow*> selected;
  for (const StatsRow& row : rows) {
    if (!selection.kinds.Contains(row.kind)) continue;
    if (!selection.proxy_patterns.empty() &&
        std::none_of(selection.proxy_patterns.begin(), selection.proxy_patterns.end(),
                     [&](const std::string& p) { return Matches(p, row); })) {
      continue;
    }
    selected.push_back(&row);
  }
  for (const std::string& pattern : selection.proxy_patterns) {
    bool found = std::any_of(selected.begin(), selected.end(),
                             [&](const StatsRow* row) { return Matches(pattern, *row); });
    if (!found) {
      return probe::ErrorResult(
          {probe::kUnknown,
           fmt::format("no {} matches --proxy '{}' (HAProxy lists: {})", KindsText(selection.kinds),
                       probe::SanitizeLine(pattern), Available(rows, selection.kinds))});
    }
  }
  if (selected.empty()) {
    return probe::ErrorResult(
        {probe::kUnknown, fmt::format("the stats list no {} at all", KindsText(selection.kinds))});
  }

  CheckResult result;
  result.state = probe::kOk;
  std::vector<Verdict> verdicts;
  for (const StatsRow* row : selected) {
    Verdict verdict = Judge(selection, *row);
    result.state = probe::WorseState(result.state, verdict.state);

    probe::Perfdata perf;
    perf.label = probe::SanitizeLine(row->Label());  // no newline or '|' from a quoted name
    perf.value = row->scur ? static_cast<double>(*row->scur) : 0;
    perf.warning = PerfRange(selection.warning, *row);
    perf.critical = PerfRange(selection.critical, *row);
    perf.min = 0;
    if (row->slim && *row->slim > 0) perf.max = static_cast<double>(*row->slim);
    if (row->scur) result.perfdata.push_back(std::move(perf));

    std::string line = fmt::format("{} ({}): {}", probe::StateName(verdict.state),
                                   KindName(row->kind), Describe(*row));
    if (!row->slim || *row->slim == 0) line += ", no limit";
    line += fmt::format(", status {}", row->status.empty() ? "-" : row->status);
    if (!verdict.reason.empty()) line += " - " + verdict.reason;
    result.long_output.push_back(std::move(line));
    verdicts.push_back(std::move(verdict));
  }
  if (selection.verbosity > 0) {
    result.long_output.push_back(
        fmt::format("{} of {} stats rows selected (kinds {}; proxies {})", selected.size(),
                    rows.size(), selection.kinds.ToString(),
                    selection.proxy_patterns.empty()
                        ? std::string("all")
                        : fmt::format("'{}'", fmt::join(selection.proxy_patterns, "', '"))));
  }

  std::string summary;
  if (result.state == probe::kOk) {
    // The busiest row: highest share of its limit, else most sessions.
    const StatsRow* busiest = nullptr;
    double busiest_score = -1;
    for (const StatsRow* row : selected) {
      if (!row->scur) continue;
      double score = row->slim && *row->slim > 0
                         ? static_cast<double>(*row->scur) / static_cast<double>(*row->slim)
                         : static_cast<double>(*row->scur) * 1e-12;  // unlimited rank last
      if (score > busiest_score) {
        busiest = row;
        busiest_score = score;
      }
    }
    summary = fmt::format("{} {} OK", selected.size(), selected.size() == 1 ? "proxy" : "proxies");
    if (busiest != nullptr) summary += "; busiest " + Describe(*busiest);
  } else {
    std::stable_sort(verdicts.begin(), verdicts.end(), [](const Verdict& a, const Verdict& b) {
      return probe::WorseState(a.state, b.state) == a.state && a.state != b.state;
    });
    constexpr size_t kMaxListed = 5;
    size_t problems = 0;
    for (const Verdict& verdict : verdicts) {
      if (verdict.state == probe::kOk) continue;
      if (problems < kMaxListed) {
        if (!summary.empty()) summary += ", ";
        summary += fmt::format("{} {}", Describe(*verdict.row), probe::StateName(verdict.state));
        if (selection.down_critical && IsDown(verdict.row->status)) {
          summary += " (" + verdict.row->status + ")";
        }
      }
      ++problems;
    }
    if (problems > kMaxListed) summary += fmt::format(", and {} more", problems - kMaxListed);
    summary += fmt::format("; {} of {} OK", selected.size() - problems, selected.size());
  }
  result.summary = fmt::format("HAPROXY SESSIONS {} - {}", probe::StateName(result.state), summary);
  return result;
}

}  // namespace automon::haproxy
