// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/results.h"

#include <fmt/format.h>

#include "common/text.h"

namespace automon::registrar {
namespace {

using formats::ResultReply;
using formats::ResultStatus;

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 16);
  for (const char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string CoreText(std::string_view text, size_t max_bytes) {
  std::string out;
  out.reserve(std::min(text.size(), max_bytes));
  for (const char c : text) {
    if (c == '\r' || c == '\0') continue;
    out += c;
  }
  if (out.size() > max_bytes) {
    size_t cut = max_bytes;
    // Never leave half a UTF-8 sequence.
    while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xc0) == 0x80) --cut;
    out.resize(cut);
  }
  return out;
}

std::string NagiosPluginText(const CoreResult& r) {
  std::string text = Escape(r.output);
  if (!r.perfdata.empty()) text += "|" + Escape(r.perfdata);
  if (!r.long_output.empty()) text += "\\n" + Escape(r.long_output);
  return text;
}

std::string NagiosCommandLine(const CoreResult& r) {
  return fmt::format("[{}] PROCESS_SERVICE_CHECK_RESULT;{};{};{};{}\n", r.time, r.host,
                     r.description, r.state, NagiosPluginText(r));
}

ResultsReply ResultsHandler::Handle(const std::string& host, std::string_view document) {
  ResultsReply reply;
  auto batch = formats::ParseResults(document);
  if (!batch) {
    reply.status = 2;
    reply.output = formats::SerializeReplies(
        {ResultReply{0, ResultStatus::kMalformed, batch.error().message}});
    reply.log = fmt::format("results from {} refused: {}", host, batch.error().message);
    return reply;
  }
  std::vector<ResultReply> replies(batch->results.size());
  for (size_t i = 0; i < batch->results.size(); ++i) {
    replies[i].sequence = batch->results[i].sequence;
  }
  auto refuse_all = [&](ResultStatus status, const std::string& why) {
    for (ResultReply& r : replies) {
      r.status = status;
      r.detail = why;
    }
    reply.status = 2;
    reply.output = formats::SerializeReplies(replies);
    reply.log = fmt::format("results from {} refused: {}", host, why);
    return reply;
  };
  if (batch->host != host) {
    return refuse_all(ResultStatus::kUnknownService,
                      fmt::format("this key speaks for {}, not for {}", host, batch->host));
  }
  auto snapshot = load_(host);
  if (!snapshot) {
    return refuse_all(
        ResultStatus::kRefusedByCore,
        fmt::format("the registration of {} cannot be read: {}", host, snapshot.error().message));
  }
  if (!*snapshot) {
    return refuse_all(ResultStatus::kUnknownService,
                      fmt::format("{} is not registered here", host));
  }
  const backends::HostPlan plan = backends::PlanHost(**snapshot, {});
  std::map<std::string, const backends::PlannedService*> services;
  for (const backends::PlannedService& s : plan.services) services.emplace(s.name, &s);

  const int64_t now = now_unix_();
  std::vector<CoreResult> to_write;
  std::vector<size_t> written_index;
  size_t refused = 0;
  {
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < batch->results.size(); ++i) {
      const formats::PassiveResult& r = batch->results[i];
      ResultReply& out = replies[i];
      const auto it = services.find(r.service);
      if (it == services.end()) {
        out.status = ResultStatus::kUnknownService;
        out.detail = fmt::format("no service '{}' is registered for {}", r.service, host);
      } else if (it->second->plan.mode != backends::CheckMode::kPassive) {
        out.status = ResultStatus::kNotPassive;
        out.detail = fmt::format("service '{}' is checked actively by the server", r.service);
      } else if (r.time > now + kMaxFutureSeconds) {
        out.status = ResultStatus::kFuture;
        out.detail = fmt::format("time {} is {} s ahead of the registrar's clock (at most {})",
                                 r.time, r.time - now, kMaxFutureSeconds);
      } else {
        auto& last = last_[{host, r.service}];
        if (r.time < last.first) {
          out.status = ResultStatus::kStale;
          out.detail = fmt::format("a newer result (time {}) was already accepted", last.first);
        } else {
          last = {r.time, r.sequence};
          CoreResult core;
          core.host = host;
          core.service = r.service;
          core.description = it->second->description;
          core.state = r.state;
          // The three fields share the cap, output first.
          core.output = CoreText(r.output);
          for (char& c : core.output) {
            if (c == '\n') c = ' ';
          }
          core.perfdata = CoreText(r.perfdata, formats::kMaxResultBytes - core.output.size());
          for (char& c : core.perfdata) {
            if (c == '\n') c = ' ';
          }
          core.long_output = CoreText(
              r.long_output, formats::kMaxResultBytes - core.output.size() - core.perfdata.size());
          core.time = r.time;
          to_write.push_back(std::move(core));
          written_index.push_back(i);
          continue;
        }
      }
      ++refused;
    }
  }
  if (!to_write.empty()) {
    const std::vector<WriteOutcome> outcomes = writer_.Write(to_write);
    for (size_t k = 0; k < written_index.size(); ++k) {
      ResultReply& out = replies[written_index[k]];
      if (k < outcomes.size()) {
        out.status = outcomes[k].status;
        out.detail = outcomes[k].detail;
      } else {
        out.status = ResultStatus::kRefusedByCore;
        out.detail = "the core's writer gave no outcome";
      }
      if (out.status == ResultStatus::kRefusedByCore) ++refused;
    }
  }
  reply.status = refused == 0 ? 0 : 1;
  reply.output = formats::SerializeReplies(replies);
  reply.log =
      fmt::format("results from {}: {} received, {} refused", host, replies.size(), refused);
  return reply;
}

}  // namespace automon::registrar
