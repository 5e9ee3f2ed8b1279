// The thinning rule on its own (storage/thinning.h): which polls are worth a
// sample row, without a database.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "storage/thinning.h"
#include "tests/storage/storage_test_support.h"

namespace omswatch::storage {
namespace {

using namespace std::chrono_literals;
using testing::failed_sample;
using testing::kMinute;
using testing::kSecond;
using testing::kT0;
using testing::ok_sample;

StoredSample stored(const Sample& x) { return stored_form(x, x.error); }

bool worth(const Sample& next, const Sample& last, std::chrono::milliseconds sample_every = 1min) {
  const StoredSample previous = stored(last);
  return worth_storing(stored(next), &previous, sample_every);
}

TEST(ThinningRule, TheFirstSampleOfAProjectIsStored) {
  EXPECT_TRUE(worth_storing(stored(ok_sample("np_1", kT0)), nullptr, 1min));
}

TEST(ThinningRule, AnIdenticalSampleIsNotStored) {
  EXPECT_FALSE(worth(ok_sample("np_1", kT0 + 10 * kMinute), ok_sample("np_1", kT0 + 10 * kMinute)));
}

TEST(ThinningRule, ZeroSampleEveryStoresEverySample) {
  EXPECT_TRUE(worth(ok_sample("np_1", kT0), ok_sample("np_1", kT0), 0ms));
}

TEST(ThinningRule, EveryChangeOfStateIsStoredAtOnce) {
  const Sample last = ok_sample("np_1", kT0);
  const std::function<void(Sample&)> changes[] = {
      [](Sample& x) { x.outcome = "unavailable"; },
      [](Sample& x) { x.status = "FAILED"; },
      [](Sample& x) { x.alarm_level = "LOW"; },
      [](Sample& x) { x.current_step = "FULL_TRANSFER"; },
      [](Sample& x) { x.struct_progress = 99; },
      [](Sample& x) { x.full_progress.reset(); },
      [](Sample& x) { x.error = "timeout"; },
  };
  for (std::size_t i = 0; i < std::size(changes); ++i) {
    Sample next = last;
    next.observed_at = kT0 + 1;
    changes[i](next);
    EXPECT_TRUE(worth(next, last)) << "change " << i;
  }
}

TEST(ThinningRule, AnotherErrorTextIsAChange) {
  Sample last = failed_sample("np_1", kT0);
  Sample next = failed_sample("np_1", kT0 + kSecond);
  EXPECT_FALSE(worth(next, last));
  next.error = "connect: connection timed out";
  EXPECT_TRUE(worth(next, last));
}

TEST(ThinningRule, CheckpointsAloneAreStoredOncePerSampleEvery) {
  const Sample last = ok_sample("np_1", kT0, 5);
  EXPECT_FALSE(worth(ok_sample("np_1", kT0 + 59 * kSecond, 6), last));
  EXPECT_TRUE(worth(ok_sample("np_1", kT0 + kMinute, 6), last));
  EXPECT_TRUE(worth(ok_sample("np_1", kT0 + 2 * kMinute, 6), last));
}

TEST(ThinningRule, AClockThatWentBackStoresChangedCheckpoints) {
  const Sample last = ok_sample("np_1", kT0, 5);
  EXPECT_TRUE(worth(ok_sample("np_1", kT0 - kSecond, 6), last));
  // Unchanged checkpoints stay thinned, whatever the clock.
  Sample same = last;
  same.observed_at = kT0 - kSecond;
  EXPECT_FALSE(worth(same, last));
}

TEST(ThinningRule, LatencyAndIdentityAreNotCompared) {
  Sample next = ok_sample("np_1", kT0 + kSecond);
  next.latency_us = 999'999;
  next.oms = "other";
  next.project_id = "np_2";
  EXPECT_FALSE(worth(next, ok_sample("np_1", kT0)));
}

TEST(ThinningRule, TheStoredFormKeepsTheErrorOnlyAsAHash) {
  const Sample x = failed_sample("np_1", kT0);
  const StoredSample s = stored(x);
  EXPECT_TRUE(s.sample.error.empty());
  EXPECT_TRUE(s.sample.oms.empty());
  EXPECT_TRUE(s.sample.project_id.empty());
  EXPECT_EQ(s.sample.outcome, "error");
  EXPECT_EQ(s.sample.observed_at, kT0);
  EXPECT_NE(s.error_hash, 0u);
  EXPECT_EQ(error_hash(""), 0u);
  EXPECT_EQ(stored(ok_sample("np_1", kT0)).error_hash, 0u);
}

}  // namespace
}  // namespace omswatch::storage
