// SPDX-License-Identifier: GPL-2.0-or-later
#include "registrar/self_check.h"

#include <gtest/gtest.h>

namespace automon::registrar {
namespace {

constexpr int64_t kNow = 1'700'000'000;

RegistrarStatus Healthy() {
  RegistrarStatus s;
  s.updated = kNow - 30;
  s.hosts = 12;
  s.services = 40;
  s.last_activation = kNow - 300;
  return s;
}

TEST(SelfCheckTest, StatusRoundTrips) {
  RegistrarStatus s = Healthy();
  s.quarantined = 2;
  s.first_quarantined = "web01";
  s.guard_holds = true;
  s.last_activation_ok = false;
  s.last_activation_error = "nagios4 -v: 1 error";
  auto parsed = ParseStatus(SerializeStatus(s), "status");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(*parsed, s);
}

TEST(SelfCheckTest, DamagedStatusIsAnError) {
  EXPECT_FALSE(ParseStatus("nonsense", "status").ok());
  auto bad = ParseStatus("[status]\nhosts = many\n", "/var/lib/automon/status");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "/var/lib/automon/status:2:9: invalid value 'many' for 'hosts'");
}

TEST(SelfCheckTest, HealthyIsOkWithPerfdata) {
  const PluginResult r = EvaluateStatus(Healthy(), kNow);
  EXPECT_EQ(r.code, 0);
  EXPECT_EQ(r.text,
            "AUTOMON REGISTRAR OK - 12 hosts, 40 services active | hosts=12 services=40 pending=0 "
            "quarantined=0 silent=0 last_activation_seconds=300s");
}

TEST(SelfCheckTest, WaitingEnrollmentsSilentHostsAndTheGuardWarn) {
  RegistrarStatus s = Healthy();
  s.pending = 1;
  EXPECT_EQ(EvaluateStatus(s, kNow).code, 1);
  s = Healthy();
  s.silent = 3;
  EXPECT_EQ(EvaluateStatus(s, kNow).code, 1);
  s.guard_holds = true;
  const PluginResult r = EvaluateStatus(s, kNow);
  EXPECT_EQ(r.code, 1);
  EXPECT_TRUE(r.text.starts_with("AUTOMON REGISTRAR WARNING - mass-silence guard holds")) << r.text;
}

TEST(SelfCheckTest, QuarantineOrFailedActivationIsCritical) {
  RegistrarStatus s = Healthy();
  s.quarantined = 1;
  s.first_quarantined = "db01.example.org";
  s.pending = 4;
  PluginResult r = EvaluateStatus(s, kNow);
  EXPECT_EQ(r.code, 2);
  EXPECT_TRUE(
      r.text.starts_with("AUTOMON REGISTRAR CRITICAL - 1 quarantined (e.g. "
                         "db01.example.org), 4 enrollments waiting |"))
      << r.text;
  s = Healthy();
  s.last_activation_ok = false;
  s.last_activation_error = "reload failed";
  r = EvaluateStatus(s, kNow);
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.text.find("last activation failed: reload failed"), std::string::npos) << r.text;
}

TEST(SelfCheckTest, StaleStatusIsUnknown) {
  RegistrarStatus s = Healthy();
  s.updated = kNow - kStatusMaxAgeSeconds - 1;
  const PluginResult r = EvaluateStatus(s, kNow);
  EXPECT_EQ(r.code, 3);
  EXPECT_TRUE(r.text.starts_with("AUTOMON REGISTRAR UNKNOWN - status is 901s old")) << r.text;
}

TEST(SelfCheckTest, MachineFqdnIsNeverEmpty) { EXPECT_FALSE(MachineFqdn().empty()); }

}  // namespace
}  // namespace automon::registrar
