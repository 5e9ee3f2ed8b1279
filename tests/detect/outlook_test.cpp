#include "daemon/detect/outlook.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>
#include <optional>
#include <vector>

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;

const TimePoint kT0 = TimePoint(std::chrono::seconds(1'700'000'000));

// One reading of a step, as the tables below write it: seconds since kT0, then
// processedRecords, capacity and percent (-1: absent).
struct Row {
  int second;
  std::int64_t processed;
  std::int64_t capacity;
  int percent = -1;
};

std::vector<TransferPoint> transfer(const std::vector<Row>& rows) {
  std::vector<TransferPoint> out;
  for (const auto& r : rows) {
    TransferPoint p;
    p.at = kT0 + std::chrono::seconds(r.second);
    if (r.processed >= 0) p.processed = r.processed;
    if (r.capacity >= 0) p.capacity = r.capacity;
    if (r.percent >= 0) p.percent = r.percent;
    out.push_back(p);
  }
  return out;
}

// The first `n` rows of a table: the history as it stood at that reading.
std::vector<TransferPoint> first(const std::vector<TransferPoint>& all, std::size_t n) {
  return {all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n)};
}

// (seconds since kT0, lag in seconds)
std::vector<LagPoint> lags(const std::vector<std::pair<int, int>>& rows) {
  std::vector<LagPoint> out;
  for (auto [second, lag] : rows) {
    out.push_back({kT0 + std::chrono::seconds(second), std::chrono::seconds(lag)});
  }
  return out;
}

TimePoint at_second(int s) { return kT0 + std::chrono::seconds(s); }

// The finish an estimate promises, as a range of instants.
TimePoint earliest(const Eta& e) { return e.at + e.low; }
TimePoint latest(const Eta& e) { return e.at + e.high; }

// ---- ETA -------------------------------------------------------------------

TEST(OutlookEta, SteadyRateGivesANarrowRangeAroundTheTrueFinish) {
  // About 1,000 rows/s read once a minute (OMS's counter jitters a little);
  // 3,000,000 rows: 2,400,000 remain at minute 10, 2,400 s at 1,000/s.
  const auto points = transfer({
      {0, 0, 3'000'000},
      {60, 60'400, 3'000'000},
      {120, 119'700, 3'000'000},
      {180, 180'200, 3'000'000},
      {240, 239'900, 3'000'000},
      {300, 300'300, 3'000'000},
      {360, 359'800, 3'000'000},
      {420, 420'100, 3'000'000},
      {480, 479'600, 3'000'000},
      {540, 540'200, 3'000'000},
      {600, 600'000, 3'000'000},
  });
  const auto eta = estimate_eta(points, at_second(600));
  ASSERT_TRUE(eta);
  EXPECT_EQ(eta->basis, Eta::Basis::records);
  EXPECT_EQ(eta->remaining, 2'400'000);
  EXPECT_NEAR(eta->rate, 1000, 5);
  EXPECT_EQ(eta->at, at_second(600));
  const TimePoint truth = at_second(600 + 2400);
  EXPECT_LE(earliest(*eta), truth);
  EXPECT_GE(latest(*eta), truth);
  EXPECT_LE(eta->high - eta->low, 30s) << "a steady rate gives a narrow range";
  EXPECT_EQ(eta->low % 1s, 0ms) << "whole seconds, no fake precision";
  EXPECT_EQ(eta->high % 1s, 0ms);

  // Asked half a minute later with no new reading, it counts down.
  const auto later = estimate_eta(points, at_second(630));
  ASSERT_TRUE(later);
  EXPECT_NEAR(std::chrono::duration<double>(later->low - eta->low).count(), -30, 1);
  EXPECT_NEAR(std::chrono::duration<double>(later->high - eta->high).count(), -30, 1);
}

TEST(OutlookEta, ARateThatHalvesMovesTheEtaLaterAndTheRangeCoversTheNewTruth) {
  // 1,000 rows/s until minute 10, then 500 rows/s.
  const auto points = transfer({
      {0, 0, 3'000'000},
      {60, 60'000, 3'000'000},
      {120, 120'000, 3'000'000},
      {180, 180'000, 3'000'000},
      {240, 240'000, 3'000'000},
      {300, 300'000, 3'000'000},
      {360, 360'000, 3'000'000},
      {420, 420'000, 3'000'000},
      {480, 480'000, 3'000'000},
      {540, 540'000, 3'000'000},
      {600, 600'000, 3'000'000},
      {660, 630'000, 3'000'000},
      {720, 660'000, 3'000'000},
      {780, 690'000, 3'000'000},
      {840, 720'000, 3'000'000},
  });
  const auto before = estimate_eta(first(points, 11), at_second(600));
  ASSERT_TRUE(before);
  EXPECT_EQ(latest(*before), at_second(600 + 2400));

  double previous_rate = before->rate;
  for (std::size_t n = 13; n <= points.size(); ++n) {
    const int now = 600 + 60 * static_cast<int>(n - 11);
    const auto eta = estimate_eta(first(points, n), at_second(now));
    ASSERT_TRUE(eta) << n;
    // At 500 rows/s from here on:
    const TimePoint truth = at_second(now) + std::chrono::seconds(eta->remaining / 500);
    EXPECT_LE(earliest(*eta), truth) << n;
    EXPECT_GE(latest(*eta), truth) << n;
    EXPECT_GT(earliest(*eta), latest(*before)) << n << ": the whole range moved later";
    EXPECT_LT(eta->rate, previous_rate) << n << ": the smoothed rate follows the drop";
    EXPECT_GE(eta->high - eta->low, (eta->high + eta->low) / 4) << n << ": an unsteady rate widens";
    previous_rate = eta->rate;
  }
}

TEST(OutlookEta, AStallGivesNoEta) {
  // 1,000 rows/s for five minutes, then nothing.
  const auto points = transfer({
      {0, 0, 1'000'000},
      {60, 60'000, 1'000'000},
      {120, 120'000, 1'000'000},
      {180, 180'000, 1'000'000},
      {240, 240'000, 1'000'000},
      {300, 300'000, 1'000'000},
      {360, 300'000, 1'000'000},
      {420, 300'000, 1'000'000},
      {480, 300'000, 1'000'000},
      {540, 300'000, 1'000'000},
      {600, 300'000, 1'000'000},
      {660, 300'000, 1'000'000},
  });
  // Three minutes without progress: still an ETA, but a much wider one.
  const auto pausing = estimate_eta(first(points, 9), at_second(480));
  ASSERT_TRUE(pausing);
  EXPECT_GE(pausing->high, 3 * pausing->low);
  // Five minutes without progress: stalled.
  EXPECT_EQ(estimate_eta(first(points, 11), at_second(600)), std::nullopt);
  EXPECT_EQ(estimate_eta(points, at_second(660)), std::nullopt);
  // No progress at all is no ETA either.
  EXPECT_EQ(estimate_eta(transfer({{0, 5, 100}, {60, 5, 100}, {120, 5, 100}, {180, 5, 100}}),
                         at_second(180)),
            std::nullopt);
}

TEST(OutlookEta, ACapacityThatOmsRevisesUpwardMakesTheEtaGrow) {
  // 1,000 rows/s; at minute 6 OMS raises its estimate from 1,000,000 to 2,000,000 rows.
  const auto points = transfer({
      {0, 0, 1'000'000},
      {60, 60'000, 1'000'000},
      {120, 120'000, 1'000'000},
      {180, 180'000, 1'000'000},
      {240, 240'000, 1'000'000},
      {300, 300'000, 1'000'000},
      {360, 360'000, 2'000'000},
      {420, 420'000, 2'000'000},
  });
  const auto before = estimate_eta(first(points, 6), at_second(300));
  ASSERT_TRUE(before);
  EXPECT_EQ(before->remaining, 700'000);
  EXPECT_EQ(latest(*before), at_second(300 + 700));

  const auto after = estimate_eta(first(points, 7), at_second(360));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->remaining, 1'640'000);
  EXPECT_EQ(earliest(*after), at_second(360 + 1640));
  EXPECT_EQ(latest(*after), at_second(360 + 1640));
  EXPECT_GT(earliest(*after), latest(*before) + 15min);
}

TEST(OutlookEta, AReachedCapacityGivesNoRecordEta) {
  // OMS's total was short: processed passed it. How much remains is unknown.
  const auto counts_only = transfer({
      {0, 900'000, 1'000'000},
      {60, 960'000, 1'000'000},
      {120, 1'000'000, 1'000'000},
      {180, 1'060'000, 1'000'000},
  });
  EXPECT_EQ(estimate_eta(counts_only, at_second(180)), std::nullopt);
  EXPECT_EQ(estimate_eta(first(counts_only, 3), at_second(120)), std::nullopt);
  // With a percentage still under 100, that is the basis.
  const auto with_percent = transfer({
      {0, 900'000, 1'000'000, 90},
      {60, 960'000, 1'000'000, 94},
      {120, 1'000'000, 1'000'000, 96},
      {180, 1'060'000, 1'000'000, 98},
  });
  const auto eta = estimate_eta(with_percent, at_second(180));
  ASSERT_TRUE(eta);
  EXPECT_EQ(eta->basis, Eta::Basis::percent);
  EXPECT_EQ(eta->remaining, 2);
  // Done is no ETA.
  EXPECT_EQ(estimate_eta(transfer({{0, -1, -1, 80}, {60, -1, -1, 90}, {120, -1, -1, 100}}),
                         at_second(120)),
            std::nullopt);
}

TEST(OutlookEta, ProgressWithoutCountsUsesThePercentage) {
  // Two points a minute, no counts: 80 points remain, 40 minutes.
  const auto points = transfer({
      {0, -1, -1, 10},
      {60, -1, -1, 12},
      {120, -1, -1, 14},
      {180, -1, -1, 16},
      {240, -1, -1, 18},
      {300, -1, -1, 20},
  });
  const auto eta = estimate_eta(points, at_second(300));
  ASSERT_TRUE(eta);
  EXPECT_EQ(eta->basis, Eta::Basis::percent);
  EXPECT_EQ(to_string(eta->basis), "percent");
  EXPECT_EQ(eta->remaining, 80);
  EXPECT_NEAR(eta->rate, 2.0 / 60, 1e-9);
  EXPECT_LE(earliest(*eta), at_second(300 + 2400));
  EXPECT_GE(latest(*eta), at_second(300 + 2400));
  // A processed count without a capacity says nothing about the end: percent too.
  const auto no_capacity = transfer({{0, 0, -1, 10}, {60, 60, -1, 12}, {120, 120, -1, 14}});
  const auto e2 = estimate_eta(no_capacity, at_second(120));
  ASSERT_TRUE(e2);
  EXPECT_EQ(e2->basis, Eta::Basis::percent);
}

TEST(OutlookEta, TooLittleHistoryGivesNoEta) {
  EXPECT_EQ(estimate_eta({}, kT0), std::nullopt);
  // Two points.
  EXPECT_EQ(estimate_eta(transfer({{0, 0, 1'000'000}, {120, 120'000, 1'000'000}}), at_second(120)),
            std::nullopt);
  // Three points within a minute.
  const auto short_span =
      transfer({{0, 0, 1'000'000}, {30, 30'000, 1'000'000}, {60, 60'000, 1'000'000}});
  EXPECT_EQ(estimate_eta(short_span, at_second(60)), std::nullopt);
  // Three points over two minutes: enough.
  const auto enough =
      transfer({{0, 0, 1'000'000}, {60, 60'000, 1'000'000}, {120, 120'000, 1'000'000}});
  EXPECT_TRUE(estimate_eta(enough, at_second(120)));
  // No reading for longer than the window: stale.
  EXPECT_EQ(estimate_eta(enough, at_second(120) + kEtaWindow + 1s), std::nullopt);
  // A count that went back (OMS restarted the step) starts afresh: two points since.
  const auto restarted = transfer({{0, 0, 1'000'000},
                                   {60, 60'000, 1'000'000},
                                   {120, 120'000, 1'000'000},
                                   {180, 10'000, 1'000'000},
                                   {240, 70'000, 1'000'000}});
  EXPECT_EQ(estimate_eta(restarted, at_second(240)), std::nullopt);
}

// ---- Trend -----------------------------------------------------------------

TEST(OutlookTrend, SteadilyCatchingUpSaysWhenTheLagReachesZero) {
  // Half a second of lag lost per second, read every 30 s (a few seconds of sampling jitter).
  const auto points = lags({{0, 600},
                            {30, 587},
                            {60, 569},
                            {90, 556},
                            {120, 541},
                            {150, 523},
                            {180, 512},
                            {210, 494},
                            {240, 482},
                            {270, 464},
                            {300, 451}});
  const auto trend = lag_trend(points, 10min, at_second(300));
  ASSERT_TRUE(trend);
  EXPECT_EQ(trend->direction, Trend::Direction::catching_up);
  EXPECT_EQ(to_string(trend->direction), "catching_up");
  EXPECT_NEAR(trend->rate, -0.5, 0.02);
  EXPECT_EQ(trend->lag, 451s);
  ASSERT_TRUE(trend->to_zero);
  EXPECT_NEAR(std::chrono::duration<double>(*trend->to_zero).count(), 900, 30);
  EXPECT_EQ(trend->to_max_lag, std::nullopt);
}

TEST(OutlookTrend, FallingBehindSaysWhenTheLagCrossesMaxLag) {
  // 0.2 s of lag gained per second from 60 s: 132 s at 6 minutes, 600 s in 2,340 s more.
  const auto points = lags({{0, 60},
                            {30, 66},
                            {60, 72},
                            {90, 78},
                            {120, 84},
                            {150, 90},
                            {180, 96},
                            {210, 102},
                            {240, 108},
                            {270, 114},
                            {300, 120},
                            {330, 126},
                            {360, 132}});
  const auto trend = lag_trend(points, 10min, at_second(360));
  ASSERT_TRUE(trend);
  EXPECT_EQ(trend->direction, Trend::Direction::falling_behind);
  EXPECT_NEAR(trend->rate, 0.2, 1e-9);
  ASSERT_TRUE(trend->to_max_lag);
  EXPECT_EQ(*trend->to_max_lag, 2340s);
  EXPECT_EQ(trend->to_zero, std::nullopt);
  // Already past max_lag (incr_lagging's business): still falling behind, no crossing ahead.
  const auto past = lag_trend(points, 100s, at_second(360));
  ASSERT_TRUE(past);
  EXPECT_EQ(past->direction, Trend::Direction::falling_behind);
  EXPECT_EQ(past->to_max_lag, std::nullopt);
  // No max_lag: no crossing.
  EXPECT_EQ(lag_trend(points, 0s, at_second(360))->to_max_lag, std::nullopt);
}

TEST(OutlookTrend, CheckpointSamplingNoiseIsSteady) {
  // OMS samples the checkpoint about every 10 s: a caught-up project shows 5-25 s of lag.
  // Polled every 10 s for 10 minutes, through the window as the watcher keeps it.
  const int polled[] = {12, 21, 8,  17, 25, 10, 14, 6,  19, 23, 11, 16, 5,  20, 13, 24,
                        9,  18, 15, 7,  22, 12, 17, 10, 25, 14, 6,  19, 11, 21, 8,  16,
                        23, 13, 5,  18, 10, 24, 15, 9,  20, 12, 7,  22, 17, 11, 25, 14,
                        6,  19, 13, 21, 8,  16, 10, 23, 15, 5,  18, 12, 20};
  OutlookHistory history;
  int second = 0;
  for (int lag : polled) {
    remember_lag(history, {at_second(second), std::chrono::seconds(lag)});
    const auto trend = lag_trend(history.lag, 10min, at_second(second));
    if (trend) EXPECT_EQ(trend->direction, Trend::Direction::steady) << "at " << second << " s";
    second += 10;
  }
  ASSERT_TRUE(lag_trend(history.lag, 10min, at_second(second - 10)));

  // The worst a ±10 s jitter can do: the high half first, the low half after.
  std::vector<LagPoint> worst;
  for (int i = 0; i <= 30; ++i) {
    const int lag = i < 15 ? 310 : (i == 15 ? 300 : 290);
    worst.push_back({at_second(20 * i), std::chrono::seconds(lag)});
  }
  const auto w = lag_trend(worst, 10min, at_second(600));
  ASSERT_TRUE(w);
  EXPECT_EQ(w->direction, Trend::Direction::steady);
  EXPECT_EQ(w->to_zero, std::nullopt);
  // The same over the shortest history.
  const auto brief = lag_trend(lags({{0, 25}, {60, 15}, {120, 5}}), 10min, at_second(120));
  ASSERT_TRUE(brief);
  EXPECT_EQ(brief->direction, Trend::Direction::steady);
}

TEST(OutlookTrend, TooLittleHistoryGivesNoTrend) {
  EXPECT_EQ(lag_trend({}, 10min, kT0), std::nullopt);
  EXPECT_EQ(lag_trend(lags({{0, 600}, {120, 500}}), 10min, at_second(120)), std::nullopt);
  EXPECT_EQ(lag_trend(lags({{0, 600}, {30, 580}, {60, 560}}), 10min, at_second(60)), std::nullopt);
  const auto enough = lags({{0, 600}, {60, 560}, {120, 520}});
  EXPECT_TRUE(lag_trend(enough, 10min, at_second(120)));
  EXPECT_EQ(lag_trend(enough, 10min, at_second(120) + kTrendWindow + 1s), std::nullopt);
}

// ---- Windows ---------------------------------------------------------------

TEST(OutlookWindow, TheWindowsDoNotGrowPastTheirCap) {
  OutlookHistory history;
  for (int i = 0; i < 200; ++i) {
    remember_transfer(history, "FULL_TRANSFER", {at_second(60 * i), i * 1000, 1'000'000, {}});
    remember_lag(history, {at_second(60 * i), 30s});
  }
  ASSERT_EQ(history.transfer.size(), kOutlookMaxPoints);
  EXPECT_EQ(history.transfer.front().at, at_second(60 * (200 - 64)));
  EXPECT_EQ(history.transfer.back().at, at_second(60 * 199));
  ASSERT_EQ(history.lag.size(), kOutlookMaxPoints);
  EXPECT_EQ(history.lag.back().at, at_second(60 * 199));
}

TEST(OutlookWindow, AFastPollDoesNotFloodTheLagWindow) {
  OutlookHistory history;
  for (int s = 0; s <= 600; s += 10) remember_lag(history, {at_second(s), std::chrono::seconds(s)});
  // Every 20 s, the newest replaced by each fresher reading.
  EXPECT_EQ(history.lag.size(), 31u);
  EXPECT_EQ(history.lag.back(), (LagPoint{at_second(600), 600s}));
  for (std::size_t i = 1; i + 1 < history.lag.size(); ++i) {
    EXPECT_GE(history.lag[i].at - history.lag[i - 1].at, kLagSpacing) << i;
  }
  // Transfer points come as they are read (once a minute), but not faster than every 10 s.
  for (int s = 0; s <= 60; s += 2) {
    remember_transfer(history, "FULL_TRANSFER", {at_second(s), s, 100, {}});
  }
  EXPECT_EQ(history.transfer.size(), 7u);
  EXPECT_EQ(history.transfer.back().processed, 60);
}

TEST(OutlookWindow, AStepChangeStartsANewTransferWindow) {
  OutlookHistory history;
  for (int i = 0; i < 5; ++i) {
    remember_transfer(history, "FULL_TRANSFER", {at_second(60 * i), i * 1000, 10'000, {}});
  }
  ASSERT_EQ(history.transfer.size(), 5u);
  EXPECT_EQ(history.transfer_step, "FULL_TRANSFER");
  remember_transfer(history, "FULL_VERIFIER", {at_second(300), 0, 10'000, {}});
  EXPECT_EQ(history.transfer_step, "FULL_VERIFIER");
  ASSERT_EQ(history.transfer.size(), 1u);
  EXPECT_EQ(history.transfer.front().processed, 0);

  remember_lag(history, {at_second(0), 10s});
  forget_lag(history);
  EXPECT_TRUE(history.lag.empty());
}

TEST(OutlookWindow, TimeGoingBackIsIgnored) {
  OutlookHistory history;
  remember_lag(history, {at_second(0), 10s});
  remember_lag(history, {at_second(60), 20s});
  remember_lag(history, {at_second(50), 99s});  // a late reply
  EXPECT_EQ(history.lag, lags({{0, 10}, {60, 20}}));
  remember_lag(history, {at_second(60), 25s});  // the same instant, read again
  EXPECT_EQ(history.lag, lags({{0, 10}, {60, 25}}));
  remember_transfer(history, "FULL_TRANSFER", {at_second(120), 100, 1000, {}});
  remember_transfer(history, "FULL_TRANSFER", {at_second(60), 50, 1000, {}});
  ASSERT_EQ(history.transfer.size(), 1u);
  EXPECT_EQ(history.transfer.back().processed, 100);
  // A clock set back by more than kOutlookClockStep restarts the window.
  remember_lag(history, {at_second(60) - kOutlookClockStep - 1s, 30s});
  EXPECT_EQ(history.lag.size(), 1u);
  EXPECT_EQ(history.lag.back().lag, 30s);
}

TEST(OutlookEta, ReadingsAtAnotherCadenceScaleTheSpansAlike) {
  const EtaSpans minute = eta_spans(std::chrono::minutes(1));
  EXPECT_EQ(minute.min_span, kOutlookMinSpan);
  EXPECT_EQ(minute.window, kEtaWindow);
  EXPECT_EQ(minute.stall, kEtaStallSpan);
  const EtaSpans second = eta_spans(std::chrono::seconds(1));
  EXPECT_EQ(second.min_span, std::chrono::seconds(2));
  EXPECT_EQ(second.window, std::chrono::seconds(15));
  EXPECT_EQ(second.stretch, std::chrono::seconds(2));
  EXPECT_EQ(second.stall, std::chrono::seconds(5));

  // A steady 1,000 rows a second read every second: a figure after three
  // readings, and it holds the truth.
  const TimePoint t0 = TimePoint(std::chrono::seconds(1'780'000'000));
  OutlookHistory h;
  for (int i = 0; i <= 3; ++i) {
    remember_transfer(h, "FULL_TRANSFER",
                      {t0 + std::chrono::seconds(i), 1000 * i, 100'000, std::nullopt},
                      second.spacing);
  }
  EXPECT_FALSE(estimate_eta(h.transfer, t0 + std::chrono::seconds(3)))
      << "the default spans want minutes of history";
  auto eta = estimate_eta(h.transfer, t0 + std::chrono::seconds(3), second);
  ASSERT_TRUE(eta);
  EXPECT_LE(eta->low, std::chrono::seconds(97));
  EXPECT_GE(eta->high, std::chrono::seconds(97));
}

}  // namespace
}  // namespace omswatch::daemon
