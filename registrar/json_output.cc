// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/json_output.h"

#include <ctime>

namespace automon::registrar {

nlohmann::json HostJson(std::string_view name, std::string_view state) {
  return {{"name", name},          {"state", state},        {"reason", nullptr},
          {"address", nullptr},    {"generation", nullptr}, {"last_seen", nullptr},
          {"removed_at", nullptr}, {"lifecycle", nullptr},  {"services", nlohmann::json::array()}};
}

void AddSnapshotJson(nlohmann::json& host, const formats::Snapshot& snapshot) {
  if (snapshot.address) host["address"] = *snapshot.address;
  host["generation"] = snapshot.generation;
  nlohmann::json services = nlohmann::json::array();
  for (const formats::Service& service : snapshot.services) {
    services.push_back({{"name", service.name},
                        {"type", formats::TypeName(service.type)},
                        {"description", service.description},
                        {"state", service.enabled ? "active" : "disabled"}});
  }
  host["services"] = std::move(services);
}

void AddLifecycleJson(nlohmann::json& host, const LifecycleRecord& record) {
  if (record.last_seen > 0) {
    const std::time_t t = static_cast<std::time_t>(record.last_seen);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buffer[32];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
    host["last_seen"] = buffer;
  }
  host["lifecycle"] = LifecycleStateName(record.state);
}

std::string JsonText(const nlohmann::json& document) {
  return document.dump(2, ' ', /*ensure_ascii=*/true, nlohmann::json::error_handler_t::replace) +
         "\n";
}

}  // namespace automon::registrar
