// SPDX-License-Identifier: GPL-2.0-or-later
#include "agent/pinning.h"

#include <gtest/gtest.h>

namespace automon::agent {
namespace {

constexpr char kA[] = "SHA256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kB[] = "SHA256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
constexpr char kC[] = "SHA256:ccccccccccccccccccccccccccccccccccccccccccc";

PinInputs Inputs(const char* presented) {
  PinInputs in;
  in.registrar = "mon1:2222";
  in.presented = presented;
  in.config_path = "/etc/automon/agent.conf";
  in.state_path = "/var/lib/automon-agent/registrars/mon1_2222";
  return in;
}

TEST(DecidePinTest, ConfiguredPinIsStrictAndWinsOverEverything) {
  PinInputs in = Inputs(kA);
  in.configured = {kA};
  in.remembered = kB;  // stale state does not matter
  in.advertised = kB;  // nor does mDNS
  EXPECT_EQ(DecidePin(in).verdict, PinVerdict::kTrusted);
  in.presented = kB;
  const PinDecision d = DecidePin(in);
  EXPECT_EQ(d.verdict, PinVerdict::kRefused);
  EXPECT_EQ(d.message,
            "WARNING: THE IDENTIFICATION OF REGISTRAR mon1:2222 HAS CHANGED!\n"
            "Someone could be intercepting this connection (man-in-the-middle), or the "
            "registrar's\nhost key has been replaced.\n"
            "The registrar presented the key  " +
                std::string(kB) +
                "\n"
                "but the key pinned in /etc/automon/agent.conf is   " +
                std::string(kA) +
                "\n"
                "If the new key is expected, set 'fingerprint = " +
                std::string(kB) + "' in /etc/automon/agent.conf.\nRefusing to connect.");
}

TEST(DecidePinTest, RememberedPinIsStrict) {
  PinInputs in = Inputs(kA);
  in.remembered = kA;
  EXPECT_EQ(DecidePin(in).verdict, PinVerdict::kTrusted);
  in.presented = kB;
  const PinDecision d = DecidePin(in);
  EXPECT_EQ(d.verdict, PinVerdict::kRefused);
  EXPECT_NE(d.message.find("pinned in /var/lib/automon-agent/registrars/mon1_2222 is   " +
                           std::string(kA)),
            std::string::npos)
      << d.message;
  EXPECT_NE(d.message.find("remove /var/lib/automon-agent/registrars/mon1_2222"),
            std::string::npos);
}

TEST(DecidePinTest, FirstUseTrustsOnlyWhenTheHintAgrees) {
  PinInputs in = Inputs(kA);
  EXPECT_EQ(DecidePin(in).verdict, PinVerdict::kTrustFirstUse) << "no hint at all";
  in.advertised = kA;
  EXPECT_EQ(DecidePin(in).verdict, PinVerdict::kTrustFirstUse);
  in.advertised = kB;
  const PinDecision d = DecidePin(in);
  EXPECT_EQ(d.verdict, PinVerdict::kRefused);
  EXPECT_EQ(d.message,
            "Registrar mon1:2222 presented the key " + std::string(kA) +
                ", but its mDNS announcement advertises " + std::string(kB) +
                ".\nThe announcement or the connection is not genuine. Refusing to trust the "
                "key on first use; set 'fingerprint =' in /etc/automon/agent.conf to the "
                "registrar's real fingerprint.");
}

TEST(DecidePinTest, AnyConfiguredKeyIsAccepted) {
  PinInputs in = Inputs(kB);
  in.configured = {kA, kB};
  EXPECT_EQ(DecidePin(in).verdict, PinVerdict::kTrusted);
  in.presented = kC;
  const PinDecision d = DecidePin(in);
  EXPECT_EQ(d.verdict, PinVerdict::kRefused);
  EXPECT_NE(d.message.find("is   " + std::string(kA) + " or " + kB), std::string::npos)
      << d.message;
  in.discovered = true;
  EXPECT_EQ(DecidePin(in).message,
            "registrar mon1:2222 (found over mDNS) has the key " + std::string(kC) +
                ", which is not pinned; not used (to use it too, list every registrar's key in "
                "'fingerprint =' in /etc/automon/agent.conf)");
}

TEST(DecidePinTest, DiscoveredRegistrarIsTrustedOnFirstUseOnlyWhileNothingIsPinned) {
  PinInputs in = Inputs(kC);
  in.discovered = true;
  in.advertised = kC;
  EXPECT_EQ(DecidePin(in).verdict, PinVerdict::kTrustFirstUse) << "first contact ever";
  in.pinned = {kA};  // another registrar's key, pinned before
  const PinDecision d = DecidePin(in);
  EXPECT_EQ(d.verdict, PinVerdict::kRefused) << "a rogue announcer with its own key";
  EXPECT_EQ(d.message.find('\n'), std::string::npos) << "one line";
  EXPECT_NE(d.message.find("which is not pinned; not used"), std::string::npos) << d.message;
}

TEST(DecidePinTest, DiscoveredRegistrarPinFollowsTheKey) {
  PinInputs in = Inputs(kA);
  in.discovered = true;
  in.pinned = {kA, kB};  // pinned for other addresses
  EXPECT_EQ(DecidePin(in).verdict, PinVerdict::kTrustedKey) << "the registrar moved";
  in.remembered = kB;  // this address had the other registrar
  EXPECT_EQ(DecidePin(in).verdict, PinVerdict::kTrustedKey);
  in.remembered = kA;
  EXPECT_EQ(DecidePin(in).verdict, PinVerdict::kTrusted);
  in.presented = kC;  // a new key at a pinned address
  EXPECT_EQ(DecidePin(in).verdict, PinVerdict::kRefused);
  EXPECT_NE(DecidePin(in).message.find("HAS CHANGED"), std::string::npos);
}

}  // namespace
}  // namespace automon::agent
