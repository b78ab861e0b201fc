// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/results.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <optional>
#include <utility>

#include "common/parse_integer.h"
#include "common/text.h"
#include "formats/parser.h"
#include "formats/schema.h"

namespace automon::formats {
namespace {

constexpr std::string_view kResultsMagic = "automon-results";
constexpr std::string_view kRepliesMagic = "automon-replies";
constexpr size_t kResultFields = 7;
constexpr size_t kReplyFields = 3;
// A reply's detail is a sentence; a hostile registrar must not make the
// agent hold megabytes.
constexpr size_t kMaxReplyDetailBytes = 4096;
constexpr size_t kMaxRepliesDocumentBytes = kMaxResultsPerBatch * (kMaxReplyDetailBytes + 64);

constexpr std::array<std::pair<ResultStatus, std::string_view>, 8> kStatuses = {{
    {ResultStatus::kAccepted, "accepted"},
    {ResultStatus::kUnknownService, "unknown-service"},
    {ResultStatus::kNotPassive, "not-passive"},
    {ResultStatus::kStale, "stale"},
    {ResultStatus::kFuture, "future"},
    {ResultStatus::kRefusedByCore, "refused-by-core"},
    {ResultStatus::kQueued, "queued"},
    {ResultStatus::kMalformed, "malformed"},
}};

void AppendEscaped(std::string_view text, std::string& out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          out += "\\x";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += c;
        }
    }
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// The bytes an escaped field stands for; nullopt when an escape is invalid
// or not canonical, or a raw control byte is present.
std::optional<std::string> Unescape(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    const char c = field[i];
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) return std::nullopt;
    if (c != '\\') {
      out += c;
      continue;
    }
    if (++i == field.size()) return std::nullopt;
    switch (field[i]) {
      case '\\':
        out += '\\';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'x': {
        if (i + 2 >= field.size()) return std::nullopt;
        const int hi = HexDigit(field[i + 1]);
        const int lo = HexDigit(field[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        const int byte = hi * 16 + lo;
        // Only the bytes without a short escape; anything else is not the
        // canonical form and could hide a second spelling of a value.
        if ((byte >= 0x20 && byte != 0x7f) || byte == '\t' || byte == '\n' || byte == '\r') {
          return std::nullopt;
        }
        out += static_cast<char>(byte);
        i += 2;
        break;
      }
      default:
        return std::nullopt;
    }
  }
  return out;
}

// Splits `line` at TABs into exactly `n` fields, or nullopt.
std::optional<std::vector<std::string_view>> SplitFields(std::string_view line, size_t n) {
  std::vector<std::string_view> fields;
  fields.reserve(n);
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab == std::string_view::npos ? tab : tab - start));
    if (fields.size() > n) return std::nullopt;
    if (tab == std::string_view::npos) break;
    start = tab + 1;
  }
  if (fields.size() != n) return std::nullopt;
  return fields;
}

// A line-by-line reader of a document that must end with '\n'.
class Lines {
 public:
  explicit Lines(std::string_view text) : text_(text) {}
  // The next line without its '\n', or nullopt at the end or when the last
  // line is not terminated (`unterminated()` then says so).
  std::optional<std::string_view> Next() {
    if (pos_ >= text_.size()) return std::nullopt;
    const size_t end = text_.find('\n', pos_);
    if (end == std::string_view::npos) {
      unterminated_ = true;
      return std::nullopt;
    }
    std::string_view line = text_.substr(pos_, end - pos_);
    pos_ = end + 1;
    ++number_;
    return line;
  }
  int number() const { return number_; }
  bool unterminated() const { return unterminated_; }
  bool at_end() const { return pos_ >= text_.size(); }

 private:
  std::string_view text_;
  size_t pos_ = 0;
  int number_ = 0;
  bool unterminated_ = false;
};

// Parses "<magic> 1 [host] <count>" (host only when `with_host`).
struct Header {
  std::string host;
  size_t count = 0;
};
Result<Header> ParseHeader(std::string_view line, std::string_view magic, bool with_host,
                           size_t max_count) {
  const std::vector<std::string_view> words = SplitWords(line, " ");
  const size_t expected = with_host ? 4 : 3;
  if (words.size() != expected || words[0] != magic ||
      std::count(line.begin(), line.end(), ' ') != static_cast<long>(expected - 1)) {
    return Error{fmt::format("line 1: expected '{} {}{} <count>', found '{}'", magic,
                             kResultsFormat, with_host ? " <host>" : "",
                             Abbreviate(OneLine(line)))};
  }
  if (words[1] != std::to_string(kResultsFormat)) {
    return Error{fmt::format("line 1: format '{}' is not supported (this side reads format {})",
                             Abbreviate(OneLine(words[1])), kResultsFormat)};
  }
  Header header;
  if (with_host) {
    auto host = NormaliseValue(KeySpec{"host", ValueKind::kHostName}, words[2]);
    if (!host || *host != words[2]) {
      return Error{fmt::format("line 1: invalid host name '{}'", Abbreviate(OneLine(words[2])))};
    }
    header.host = *host;
  }
  const std::string_view count = words.back();
  if (count.size() > 1 && count.front() == '0') {
    return Error{fmt::format("line 1: invalid count '{}'", Abbreviate(OneLine(count)))};
  }
  auto n = ParseInteger<uint64_t>(count, 0, max_count);
  if (!n) {
    return Error{fmt::format("line 1: invalid count '{}' (at most {})", Abbreviate(OneLine(count)),
                             max_count)};
  }
  header.count = static_cast<size_t>(*n);
  return header;
}

Result<void> ParseTrailer(Lines& lines, size_t count) {
  const auto line = lines.Next();
  const std::string expected = fmt::format("end {}", count);
  if (!line) {
    return Error{fmt::format("the document ends without the line '{}' (truncated?)", expected)};
  }
  if (*line != expected) {
    return Error{fmt::format("line {}: expected '{}', found '{}'", lines.number(), expected,
                             Abbreviate(OneLine(*line)))};
  }
  if (!lines.at_end() || lines.unterminated()) {
    return Error{fmt::format("line {}: text after the end of the document", lines.number() + 1)};
  }
  return {};
}

Result<uint64_t> ParseNumberField(std::string_view field, std::string_view what, int line,
                                  uint64_t max) {
  if (field.empty() || (field.size() > 1 && field.front() == '0')) {
    return Error{fmt::format("line {}: invalid {} '{}'", line, what, Abbreviate(OneLine(field)))};
  }
  auto n = ParseInteger<uint64_t>(field, 0, max);
  if (!n) {
    return Error{fmt::format("line {}: invalid {} '{}'", line, what, Abbreviate(OneLine(field)))};
  }
  return *n;
}

std::string_view TrimBlanks(std::string_view s) {
  const size_t first = s.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const size_t last = s.find_last_not_of(" \t\r\n");
  return s.substr(first, last - first + 1);
}

}  // namespace

std::string EscapeResultField(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  AppendEscaped(text, out);
  return out;
}

std::string SerializeResults(const ResultBatch& batch) {
  std::string out =
      fmt::format("{} {} {} {}\n", kResultsMagic, kResultsFormat, batch.host, batch.results.size());
  for (const PassiveResult& r : batch.results) {
    out += fmt::format("{}\t{}\t{}\t", r.sequence, r.time, r.state);
    AppendEscaped(r.service, out);
    out += '\t';
    AppendEscaped(r.output, out);
    out += '\t';
    AppendEscaped(r.long_output, out);
    out += '\t';
    AppendEscaped(r.perfdata, out);
    out += '\n';
  }
  out += fmt::format("end {}\n", batch.results.size());
  return out;
}

Result<ResultBatch> ParseResults(std::string_view document) {
  auto refuse = [](std::string why) { return Error{fmt::format("results refused: {}", why)}; };
  if (document.size() > kMaxResultsDocumentBytes) {
    return refuse(
        fmt::format("{} bytes is over the limit of {}", document.size(), kMaxResultsDocumentBytes));
  }
  Lines lines(document);
  const auto first = lines.Next();
  if (!first) return refuse("the document is empty or has no complete line");
  auto header = ParseHeader(*first, kResultsMagic, /*with_host=*/true, kMaxResultsPerBatch);
  if (!header) return refuse(header.error().message);
  ResultBatch batch;
  batch.host = header->host;
  batch.results.reserve(header->count);
  for (size_t i = 0; i < header->count; ++i) {
    const auto line = lines.Next();
    if (!line) {
      return refuse(fmt::format("the header announces {} results but {} are present (truncated?)",
                                header->count, i));
    }
    const int number = lines.number();
    const auto fields = SplitFields(*line, kResultFields);
    if (!fields) {
      return refuse(
          fmt::format("line {}: expected {} TAB-separated fields (sequence, time, "
                      "state, service, output, long output, perfdata)",
                      number, kResultFields));
    }
    const auto& f = *fields;
    PassiveResult r;
    auto sequence = ParseNumberField(f[0], "sequence", number, UINT64_MAX);
    if (!sequence) return refuse(sequence.error().message);
    r.sequence = *sequence;
    auto time = ParseNumberField(f[1], "time", number, INT64_MAX);
    if (!time) return refuse(time.error().message);
    r.time = static_cast<int64_t>(*time);
    if (f[2].size() != 1 || f[2][0] < '0' || f[2][0] > '3') {
      return refuse(
          fmt::format("line {}: invalid state '{}' (0 OK, 1 WARNING, 2 CRITICAL, "
                      "3 UNKNOWN)",
                      number, Abbreviate(OneLine(f[2]))));
    }
    r.state = f[2][0] - '0';
    if (f[3] != kHeartbeatService && !IsValidServiceName(f[3])) {
      return refuse(
          fmt::format("line {}: invalid service name '{}'", number, Abbreviate(OneLine(f[3]))));
    }
    r.service = std::string(f[3]);
    std::array<std::string*, 3> texts = {&r.output, &r.long_output, &r.perfdata};
    size_t bytes = 0;
    for (size_t t = 0; t < texts.size(); ++t) {
      auto value = Unescape(f[4 + t]);
      if (!value) {
        return refuse(
            fmt::format("line {}: invalid escape or control character in field {}", number, 5 + t));
      }
      bytes += value->size();
      *texts[t] = std::move(*value);
    }
    if (bytes > kMaxResultBytes) {
      return refuse(fmt::format("line {}: result of {} bytes is over the limit of {}", number,
                                bytes, kMaxResultBytes));
    }
    batch.results.push_back(std::move(r));
  }
  if (auto trailer = ParseTrailer(lines, header->count); !trailer) {
    return refuse(trailer.error().message);
  }
  return batch;
}

std::string_view ResultStatusName(ResultStatus status) {
  for (const auto& [s, name] : kStatuses) {
    if (s == status) return name;
  }
  return "malformed";
}

std::string SerializeReplies(const std::vector<ResultReply>& replies) {
  std::string out = fmt::format("{} {} {}\n", kRepliesMagic, kResultsFormat, replies.size());
  for (const ResultReply& r : replies) {
    out += fmt::format("{}\t{}\t", r.sequence, ResultStatusName(r.status));
    AppendEscaped(r.detail, out);
    out += '\n';
  }
  out += fmt::format("end {}\n", replies.size());
  return out;
}

Result<std::vector<ResultReply>> ParseReplies(std::string_view document) {
  auto refuse = [](std::string why) { return Error{fmt::format("replies refused: {}", why)}; };
  if (document.size() > kMaxRepliesDocumentBytes) {
    return refuse(
        fmt::format("{} bytes is over the limit of {}", document.size(), kMaxRepliesDocumentBytes));
  }
  Lines lines(document);
  const auto first = lines.Next();
  if (!first) return refuse("the document is empty or has no complete line");
  // A reply document may answer a document the registrar refused as a
  // whole with one item, so it allows as many replies as results.
  auto header = ParseHeader(*first, kRepliesMagic, /*with_host=*/false, kMaxResultsPerBatch);
  if (!header) return refuse(header.error().message);
  std::vector<ResultReply> replies;
  replies.reserve(header->count);
  for (size_t i = 0; i < header->count; ++i) {
    const auto line = lines.Next();
    if (!line) {
      return refuse(fmt::format("the header announces {} replies but {} are present (truncated?)",
                                header->count, i));
    }
    const int number = lines.number();
    const auto fields = SplitFields(*line, kReplyFields);
    if (!fields) {
      return refuse(
          fmt::format("line {}: expected 3 TAB-separated fields (sequence, status, "
                      "detail)",
                      number));
    }
    ResultReply reply;
    auto sequence = ParseNumberField((*fields)[0], "sequence", number, UINT64_MAX);
    if (!sequence) return refuse(sequence.error().message);
    reply.sequence = *sequence;
    bool known = false;
    for (const auto& [s, name] : kStatuses) {
      if (name == (*fields)[1]) {
        reply.status = s;
        known = true;
      }
    }
    if (!known) {
      return refuse(
          fmt::format("line {}: unknown status '{}'", number, Abbreviate(OneLine((*fields)[1]))));
    }
    auto detail = Unescape((*fields)[2]);
    if (!detail || detail->size() > kMaxReplyDetailBytes) {
      return refuse(fmt::format("line {}: invalid detail", number));
    }
    reply.detail = std::move(*detail);
    replies.push_back(std::move(reply));
  }
  if (auto trailer = ParseTrailer(lines, header->count); !trailer) {
    return refuse(trailer.error().message);
  }
  return replies;
}

void SplitPluginOutput(std::string_view text, PassiveResult& into) {
  into.output.clear();
  into.long_output.clear();
  into.perfdata.clear();
  const size_t eol = text.find('\n');
  const std::string_view first = text.substr(0, eol);
  const std::string_view rest =
      eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
  const size_t bar = first.find('|');
  into.output = std::string(TrimBlanks(first.substr(0, bar)));
  std::string perf(bar == std::string_view::npos ? std::string_view()
                                                 : TrimBlanks(first.substr(bar + 1)));

  const size_t long_bar = rest.find('|');
  std::string_view long_text = rest.substr(0, long_bar);
  // Long output keeps its inner blanks and lines; only CRs before line
  // ends and the trailing line ends go.
  std::string long_output;
  long_output.reserve(long_text.size());
  for (size_t i = 0; i < long_text.size(); ++i) {
    if (long_text[i] == '\r' && (i + 1 == long_text.size() || long_text[i + 1] == '\n')) continue;
    long_output += long_text[i];
  }
  while (!long_output.empty() &&
         (long_output.back() == '\n' || long_output.back() == ' ' || long_output.back() == '\t')) {
    long_output.pop_back();
  }
  into.long_output = std::move(long_output);
  if (long_bar != std::string_view::npos) {
    std::string more;
    for (const char c : rest.substr(long_bar + 1)) more += (c == '\n' || c == '\r') ? ' ' : c;
    const std::string_view trimmed = TrimBlanks(more);
    if (!trimmed.empty()) {
      if (!perf.empty()) perf += ' ';
      perf += trimmed;
    }
  }
  into.perfdata = std::move(perf);
}

}  // namespace automon::formats
