// The watcher's poll tick: a poll's timer wakes at the first tick boundary at
// or after its due time, so the polls due within one tick share a wake-up
// while each due time itself stays exact.

#include <gtest/gtest.h>

#include <chrono>

#include "daemon/watcher.h"

namespace omswatch::daemon {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

TimePoint at(std::chrono::steady_clock::duration d) { return TimePoint(d); }

TEST(PollTick, RoundsUpToTheNextTickBoundary) {
  EXPECT_EQ(align_to_tick(at(1ns), 100ms), at(100ms));
  EXPECT_EQ(align_to_tick(at(1'050ms), 100ms), at(1'100ms));
  EXPECT_EQ(align_to_tick(at(1'099ms + 999us), 100ms), at(1'100ms));
}

TEST(PollTick, ABoundaryStaysWhereItIs) {
  EXPECT_EQ(align_to_tick(at(0ns), 100ms), at(0ns));
  EXPECT_EQ(align_to_tick(at(3'200ms), 100ms), at(3'200ms));
}

TEST(PollTick, PollsDueWithinOneTickShareTheirWakeUp) {
  const TimePoint first = align_to_tick(at(10s + 1ms), 100ms);
  for (auto due = 10s + 1ms; due <= 10s + 100ms; due += 7ms) {
    EXPECT_EQ(align_to_tick(at(due), 100ms), first) << due.count();
  }
  EXPECT_GT(align_to_tick(at(10s + 101ms), 100ms), first);
}

TEST(PollTick, NoTickLeavesTheTimeAlone) {
  EXPECT_EQ(align_to_tick(at(1'234'567ns), 0ns), at(1'234'567ns));
  EXPECT_EQ(align_to_tick(at(1'234'567ns), -5ms), at(1'234'567ns));
}

}  // namespace
}  // namespace omswatch::daemon
