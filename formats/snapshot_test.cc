// SPDX-License-Identifier: GPL-2.0-or-later
#include "formats/snapshot.h"

#include <gtest/gtest.h>

#include <string>

#include "common/sha256.h"
#include "formats/parser.h"
#include "formats/schema.h"

namespace automon::formats {
namespace {

Snapshot Example() {
  const ParseResult parsed = ParseDefinitions(
      "[web]\ntype = http\nssl = true\nhostname = www.example.org\npackage = apache2\n"
      "[guac]\ntype = guacamole\npassword = p@ss w;rd\ndata_source = auto\nwarning = 5\n"
      "[lb]\ntype = haproxy\nstats = /run/haproxy/admin.sock\nproxies = web,api\n",
      "/etc/monitoring-info/example");
  EXPECT_TRUE(parsed.diagnostics.empty());
  Snapshot s;
  s.host = "web01.example.org";
  s.address = "192.0.2.10";
  s.generation = 42;
  s.services = parsed.services;
  s.removed = {{"old", RemovalReason::kDeleted},
               {"off", RemovalReason::kDisabled},
               {"ex", RemovalReason::kExcluded},
               {"gone", RemovalReason::kPackageRemoved}};
  return s;
}

TEST(SnapshotTest, RoundTripsExactly) {
  const Snapshot original = Example();
  const std::string text = SerializeSnapshot(original);
  auto parsed = ParseSnapshot(text, "wire");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->snapshot, original);
  EXPECT_TRUE(parsed->rejected.empty());
  EXPECT_EQ(SerializeSnapshot(parsed->snapshot), text) << "serialisation is deterministic";
}

TEST(SnapshotTest, RoundTripsWithoutAddressAndRemovals) {
  Snapshot s = Example();
  s.address.reset();
  s.removed.clear();
  auto parsed = ParseSnapshot(SerializeSnapshot(s), "wire");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->snapshot, s);
  Snapshot empty;
  empty.host = "h";
  auto parsed_empty = ParseSnapshot(SerializeSnapshot(empty), "wire");
  ASSERT_TRUE(parsed_empty.ok()) << parsed_empty.error().message;
  EXPECT_EQ(parsed_empty->snapshot, empty);
}

TEST(SnapshotTest, RoundTripsTheHeartbeat) {
  Snapshot s = Example();
  s.heartbeat_seconds = 60;
  const std::string text = SerializeSnapshot(s);
  EXPECT_NE(text.find("generation = 42\nheartbeat = 60\nservices = 3\n"), std::string::npos);
  auto parsed = ParseSnapshot(text, "wire");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->snapshot, s);
  s.address.reset();
  parsed = ParseSnapshot(SerializeSnapshot(s), "wire");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->snapshot.heartbeat_seconds, 60);
}

TEST(SnapshotTest, DocumentLayout) {
  Snapshot s;
  s.host = "h.example.org";
  s.generation = 7;
  const ParseResult p = ParseDefinitions("[ssh]\ntype = ssh\n", "/m/ssh");
  s.services = p.services;
  s.removed = {{"web", RemovalReason::kDeleted}};
  const std::string body =
      "\n[automon:removed]\nweb = deleted\n"
      "\n[ssh]\nsource = /m/ssh:1\ntype = ssh\ndescription = ssh\nenabled = true\nport = 22\n";
  EXPECT_EQ(SerializeSnapshot(s),
            "# automon snapshot; see monitoring-info(5)\n[automon:snapshot]\nformat = 1\n"
            "host = h.example.org\ngeneration = 7\nservices = 1\nsha256 = " +
                Sha256Hex(body) + "\n" + body);
}

std::string Refusal(const std::string& text) {
  auto parsed = ParseSnapshot(text, "wire");
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? "" : parsed.error().message;
}

// Rewrites the hash line so that a tampered body passes the hash check and
// reaches the checks behind it.
std::string Rehash(const std::string& text) {
  const size_t at = text.find("sha256 = ");
  const size_t eol = text.find('\n', at);
  return text.substr(0, at) + "sha256 = " + Sha256Hex(text.substr(eol + 1)) + text.substr(eol);
}

TEST(SnapshotTest, HostNamesTooLongForTheRegistrarsFilesAreRefused) {
  // Valid host names (labels of at most 63, at most 253 in all).
  const std::string longest_allowed = std::string(63, 'a') + "." + std::string(63, 'b') + "." +
                                      std::string(63, 'c') + "." + std::string(38, 'd');
  ASSERT_EQ(longest_allowed.size(), kMaxRegisteredHostNameBytes);
  Snapshot s = Example();
  s.host = longest_allowed;
  auto parsed = ParseSnapshot(SerializeSnapshot(s), "doc");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->snapshot.host, longest_allowed);
  for (size_t extra : {1, 5, 23}) {
    s.host = longest_allowed + "." + std::string(extra - 1, 'e');
    if (extra == 1) s.host = longest_allowed.substr(0, 229) + "dd";
    parsed = ParseSnapshot(SerializeSnapshot(s), "doc");
    ASSERT_FALSE(parsed.ok()) << s.host.size();
    EXPECT_EQ(parsed.error().message,
              "doc: snapshot refused: host name '" + s.host + "' is " +
                  std::to_string(s.host.size()) +
                  " bytes long; a registered host name is at most 230 bytes (the registrar's "
                  "file names are made from it)");
  }
}

TEST(SnapshotTest, TruncationIsRefused) {
  const std::string text = SerializeSnapshot(Example());
  // Cut at every line boundary: each must be refused, never read as a
  // smaller host.
  for (size_t cut = text.find('\n'); cut != std::string::npos && cut + 1 < text.size();
       cut = text.find('\n', cut + 1)) {
    EXPECT_FALSE(ParseSnapshot(text.substr(0, cut + 1), "wire").ok()) << cut;
  }
  EXPECT_NE(Refusal(text.substr(0, text.size() - 30)).find("content hash mismatch"),
            std::string::npos);
}

TEST(SnapshotTest, HeaderErrorsRefuseTheWholeSnapshot) {
  const std::string good = SerializeSnapshot(Example());
  auto replace = [&](const std::string& from, const std::string& to) {
    std::string t = good;
    t.replace(t.find(from), from.size(), to);
    return t;
  };
  EXPECT_EQ(Refusal(""),
            "wire: snapshot refused: it does not start with a [automon:snapshot] section");
  EXPECT_EQ(Refusal(replace("format = 1", "format = 2")),
            "wire: snapshot refused: format '2' is not supported (this registrar reads format 1)");
  EXPECT_EQ(Refusal(replace("host = web01.example.org", "host = web 01")),
            "wire: snapshot refused: invalid value 'web 01' for 'host': expected a host name "
            "(RFC 1123: letters, digits, '-' and '.') or an IPv4 address");
  EXPECT_EQ(Refusal(replace("generation = 42", "generation = 042")),
            "wire: snapshot refused: invalid generation '042'");
  EXPECT_EQ(Refusal(replace("services = 3", "services = 2")),
            "wire: snapshot refused: the header announces 2 services but 3 are present");
  EXPECT_EQ(Refusal(replace("services = 3", "services = 1001")),
            "wire: snapshot refused: invalid service count '1001' (at most 1000)");
  EXPECT_EQ(Refusal(replace("generation = 42\n", "")),
            "wire: snapshot refused: wire:6:1: expected 'generation' in the header, found "
            "'services'");
  EXPECT_EQ(Refusal(replace("generation = 42\n", "").replace(good.find("address"), 21, "")),
            "wire: snapshot refused: wire:5:1: expected 'generation' in the header, found "
            "'services'");
  EXPECT_EQ(Refusal(good.substr(0, good.find("services = "))),
            "wire: snapshot refused: the header must hold format, host, [address,] generation, "
            "[heartbeat,] services and sha256, in this order");
  EXPECT_EQ(Refusal(replace("generation = 42\n", "generation = 42\nheartbeat = 9\n")),
            "wire: snapshot refused: invalid heartbeat '9' (seconds, 10 to 3600)");
  EXPECT_EQ(Refusal(replace("generation = 42\n", "generation = 42\nheartbeat = 060\n")),
            "wire: snapshot refused: invalid heartbeat '060' (seconds, 10 to 3600)");
  EXPECT_EQ(Refusal(replace("generation = 42\n", "generation = 42\nheartbeat = 3601\n")),
            "wire: snapshot refused: invalid heartbeat '3601' (seconds, 10 to 3600)");
  EXPECT_EQ(Refusal(replace("generation = 42\n", "heartbeat = 60\ngeneration = 42\n")),
            "wire: snapshot refused: wire:6:1: expected 'generation' in the header, found "
            "'heartbeat'");
  EXPECT_EQ(Refusal(replace("services = 3\n", "services = 3\nextra = 1\n")),
            "wire: snapshot refused: wire:8:1: expected 'sha256' in the header, found 'extra'");
  EXPECT_EQ(Refusal(replace("host = web01.example.org\naddress = 192.0.2.10",
                            "address = 192.0.2.10\nhost = web01.example.org")),
            "wire: snapshot refused: wire:4:1: expected 'host' in the header, found 'address'");
  EXPECT_EQ(Refusal(std::string(kMaxSnapshotBytes + 1, '#')),
            "wire: snapshot refused: 4194305 bytes is over the limit of 4194304");
  EXPECT_EQ(Refusal(Rehash(replace("[automon:removed]", "[automon:other]"))),
            "wire: snapshot refused: wire:10:1: unknown section [automon:other]");
  EXPECT_EQ(Refusal(Rehash(replace("off = disabled", "off = vanished"))),
            "wire: snapshot refused: wire:12:1: invalid removal 'off = vanished'");
  EXPECT_EQ(Refusal(Rehash(replace("off = disabled", "old = disabled"))),
            "wire: snapshot refused: wire:12:1: service 'old' is removed twice");
  EXPECT_EQ(Refusal(Rehash(replace("old = deleted", "web = deleted"))),
            "wire: snapshot refused: service 'web' is both present and removed");
  EXPECT_EQ(Refusal(Rehash(replace("[guac]", "[web]"))),
            "wire: snapshot refused: /etc/monitoring-info/example:6: duplicate service 'web' "
            "(first defined at /etc/monitoring-info/example:1)");
  EXPECT_NE(Refusal(good + "\x01").find("content hash mismatch"), std::string::npos);
  EXPECT_EQ(Refusal(Rehash(good + "\x01")),
            "wire: snapshot refused: wire:50:1: error: line contains control character 0x01\n"
            "?\n^");
}

TEST(SnapshotTest, TooManyLinesOrSectionsAreRefusedBeforeLexing) {
  std::string lines;
  for (size_t i = 0; i <= kMaxSnapshotLines; ++i) lines += "a=\n";
  EXPECT_EQ(Refusal(lines),
            "wire: snapshot refused: 0 sections and 64129 lines exceed what 1000 "
            "services can take");
  std::string headers;
  for (size_t i = 0; i < kMaxSnapshotServices + 3; ++i) headers += "[a]\n";
  EXPECT_EQ(Refusal(headers),
            "wire: snapshot refused: 1003 sections and 1003 lines exceed what "
            "1000 services can take");
}

TEST(SnapshotTest, InvalidServiceIsRejectedAloneWithReason) {
  std::string text = SerializeSnapshot(Example());
  text.replace(text.find("proxies = web,api"), 17, "proxies = $USER1$");
  auto parsed = ParseSnapshot(Rehash(text), "wire");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->snapshot.services.size(), 2u);
  ASSERT_EQ(parsed->rejected.size(), 1u);
  EXPECT_EQ(parsed->rejected[0].name, "lb");
  ASSERT_EQ(parsed->rejected[0].diagnostics.size(), 1u);
  EXPECT_EQ(parsed->rejected[0].diagnostics[0].message,
            "invalid value '$USER1$' for 'proxies': expected names or glob patterns of letters, "
            "digits and ._:*?-, separated by commas");
}

TEST(RemovalReasonTest, NamesRoundTrip) {
  for (RemovalReason r : {RemovalReason::kDeleted, RemovalReason::kDisabled,
                          RemovalReason::kExcluded, RemovalReason::kPackageRemoved}) {
    EXPECT_EQ(RemovalReasonFromName(RemovalReasonName(r)), r);
  }
  EXPECT_EQ(RemovalReasonFromName("nope"), std::nullopt);
}

}  // namespace
}  // namespace automon::formats
