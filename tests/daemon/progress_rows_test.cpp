// The outlook's JSON (the schema the watcher writes and `status` reads) and
// the texts people read: the ETA range and the trend.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/duration.h"
#include "daemon/rows.h"

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;

Outlook full_outlook() {
  Outlook o;
  Eta eta;
  eta.basis = Eta::Basis::records;
  eta.low = 1500s;
  eta.high = 1860'400ms;
  eta.rate = 12300.5;
  eta.remaining = 20'295'825;
  eta.at = TimePoint(std::chrono::milliseconds(1'795'924'800'000));
  o.eta = eta;
  Trend trend;
  trend.direction = Trend::Direction::catching_up;
  trend.rate = -0.035;
  trend.to_zero = 840s;
  trend.lag = 30s;
  o.trend = trend;
  return o;
}

TEST(OutlookJson, WritesTheDocumentedObject) {
  EXPECT_EQ(outlook_json(full_outlook()),
            R"({"eta":{"low_s":1500,"high_s":1860,"basis":"records","rate":12300.5,)"
            R"("remaining":20295825,"at":1795924800000},)"
            R"("trend":{"direction":"catching_up","rate":-0.035,"to_zero_s":840,"lag_s":30}})");
  EXPECT_EQ(outlook_json(Outlook{}), "{}");

  Outlook behind;
  Trend t;
  t.direction = Trend::Direction::falling_behind;
  t.rate = 0.05;
  t.to_max_lag = 540s;
  t.lag = 120s;
  behind.trend = t;
  EXPECT_EQ(outlook_json(behind),
            R"({"trend":{"direction":"falling_behind","rate":0.05,"to_max_lag_s":540,)"
            R"("lag_s":120}})");
  Outlook percent;
  Eta e;
  e.basis = Eta::Basis::percent;
  e.low = e.high = 60s;
  e.rate = 0.25;
  e.remaining = 15;
  percent.eta = e;
  const auto parsed = boost::json::parse(outlook_json(percent));
  EXPECT_EQ(parsed.at("eta").at("basis"), "percent");
}

TEST(OutlookJson, ReadsBackWhatItWrites) {
  const OutlookFigures f = parse_outlook_json(outlook_json(full_outlook()));
  ASSERT_TRUE(f.eta.has_value());
  EXPECT_EQ(f.eta->low_s, 1500);
  EXPECT_EQ(f.eta->high_s, 1860);
  EXPECT_EQ(f.eta->basis, "records");
  EXPECT_DOUBLE_EQ(f.eta->rate, 12300.5);
  EXPECT_EQ(f.eta->remaining, 20'295'825);
  EXPECT_EQ(f.eta->at, 1'795'924'800'000);
  ASSERT_TRUE(f.trend.has_value());
  EXPECT_EQ(f.trend->direction, "catching_up");
  EXPECT_DOUBLE_EQ(f.trend->rate, -0.035);
  EXPECT_EQ(f.trend->to_zero_s, 840);
  EXPECT_EQ(f.trend->to_max_lag_s, std::nullopt);
  EXPECT_EQ(f.trend->lag_s, 30);
}

TEST(OutlookJson, MalformedOrPartialTextGivesWhatItCan) {
  for (const char* bad : {"", "not json", "[]", "{\"eta\":5}", "{\"eta\":{\"low_s\":\"x\"}}",
                          "{\"trend\":{\"rate\":1}}"}) {
    const OutlookFigures f = parse_outlook_json(bad);
    EXPECT_FALSE(f.eta.has_value()) << bad;
    EXPECT_FALSE(f.trend.has_value()) << bad;
  }
  const OutlookFigures only_trend =
      parse_outlook_json(R"({"eta":null,"trend":{"direction":"steady","rate":0,"lag_s":12}})");
  EXPECT_FALSE(only_trend.eta.has_value());
  ASSERT_TRUE(only_trend.trend.has_value());
  EXPECT_EQ(trend_text(*only_trend.trend), "steady");
}

TEST(ProgressText, EtaRangeAndTrend) {
  EXPECT_EQ(format_duration_range(1500, 1860), "25m-31m");
  EXPECT_EQ(format_duration_range(600, 600), "10m");
  EXPECT_EQ(format_duration_range(3900, 4500), "1h 5m-1h 15m");
  OutlookFigures::TrendPart catching{"catching_up", -0.035, 840, std::nullopt, 30};
  EXPECT_EQ(trend_text(catching), "catching up 2.1s/min, zero in 14m");
  OutlookFigures::TrendPart behind{"falling_behind", 0.05, std::nullopt, 540, 120};
  EXPECT_EQ(trend_text(behind), "falling behind 3s/min, max_lag in 9m");
  behind.to_max_lag_s.reset();
  EXPECT_EQ(trend_text(behind), "falling behind 3s/min");
}

}  // namespace
}  // namespace omswatch::daemon
