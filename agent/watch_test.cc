#include "agent/watch.h"

#include <map>
#include <string>

#include <gtest/gtest.h>

namespace automon::agent {
namespace {

using std::chrono::milliseconds;

Result<WatchTimings> Parse(const std::map<std::string, std::string>& given) {
  return ParseTimings([&](std::string_view name) -> std::optional<std::string> {
    auto it = given.find(std::string(name));
    if (it == given.end()) return std::nullopt;
    return it->second;
  });
}

TEST(ParseTimingsTest, DefaultsWhenNothingIsGiven) {
  auto timings = Parse({});
  ASSERT_TRUE(timings.ok()) << timings.error().message;
  const WatchTimings defaults;
  EXPECT_EQ(timings->debounce, defaults.debounce);
  EXPECT_EQ(timings->start_jitter, defaults.start_jitter);
  EXPECT_EQ(timings->retry_base, defaults.retry_base);
  EXPECT_EQ(timings->rescan, defaults.rescan);
}

TEST(ParseTimingsTest, MillisecondsAndSecondsAsTheHelpSays) {
  auto timings =
      Parse({{"debounce", "300"}, {"start-jitter", "0"}, {"retry-base", "250"}, {"rescan", "60"}});
  ASSERT_TRUE(timings.ok()) << timings.error().message;
  EXPECT_EQ(timings->debounce, milliseconds(300));
  EXPECT_EQ(timings->start_jitter, milliseconds(0));
  EXPECT_EQ(timings->retry_base, milliseconds(250));
  EXPECT_EQ(timings->rescan, milliseconds(60'000));
}

TEST(ParseTimingsTest, AMistypedValueIsAnErrorNamingOptionAndValue) {
  const std::map<std::string, std::string> cases[] = {
      {{"debounce", "abc"}}, {{"debounce", "-5"}}, {{"debounce", ""}},
      {{"start-jitter", "1.5"}}, {{"retry-base", "5s"}}, {{"rescan", "0"}},
      {{"rescan", "99999999999999999999"}}, {{"debounce", "604800001"}},
  };
  for (const auto& given : cases) {
    auto timings = Parse(given);
    ASSERT_FALSE(timings.ok()) << given.begin()->first << "=" << given.begin()->second;
    const std::string& message = timings.error().message;
    EXPECT_NE(message.find("invalid --" + given.begin()->first + " '" + given.begin()->second + "'"),
              std::string::npos)
        << message;
  }
  EXPECT_EQ(Parse({{"rescan", "0"}}).error().message,
            "invalid --rescan '0': expected a whole number of seconds from 1 to 604800");
  EXPECT_EQ(Parse({{"debounce", "x"}}).error().message,
            "invalid --debounce 'x': expected a whole number of milliseconds from 0 to 604800000");
}

}  // namespace
}  // namespace automon::agent
