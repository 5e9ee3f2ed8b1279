// [storage]: how much history the database keeps.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/config.h"
#include "tests/config/config_test_support.h"

namespace omswatch::config {
namespace {

using namespace std::chrono_literals;
using test::errors;
using test::load;
using test::with_oms;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(StorageSettings, DefaultsWithoutTheTable) {
  auto r = load(with_oms(""));
  ASSERT_THAT(errors(r), IsEmpty());
  EXPECT_EQ(r.config->storage, StorageSettings{});
  EXPECT_EQ(r.config->storage.sample_every, 1min);
  EXPECT_EQ(r.config->storage.keep_samples, 30 * 24h);
  EXPECT_EQ(r.config->storage.keep_events, 365 * 24h);
}

TEST(StorageSettings, ReadsEveryKey) {
  auto r = load(with_oms(R"([storage]
sample_every = "5m"
keep_samples = "90d"
keep_events = "2y"
)"));
  // "2y" is no duration: the error names the key and its place.
  EXPECT_THAT(errors(r), ElementsAre(::testing::StartsWith("10:15: storage.keep_events: \"2y\" is "
                                                           "not a duration")));

  r = load(with_oms(R"([storage]
sample_every = "5m"
keep_samples = "90d"
keep_events = "730d"
)"));
  ASSERT_THAT(errors(r), IsEmpty());
  EXPECT_EQ(r.config->storage.sample_every, 5min);
  EXPECT_EQ(r.config->storage.keep_samples, 90 * 24h);
  EXPECT_EQ(r.config->storage.keep_events, 730 * 24h);
}

TEST(StorageSettings, ZeroSampleEveryKeepsEveryPoll) {
  auto r = load(with_oms("[storage]\nsample_every = \"0s\"\n"));
  ASSERT_THAT(errors(r), IsEmpty());
  EXPECT_EQ(r.config->storage.sample_every, 0ms);
}

TEST(StorageSettings, RetentionOfLessThanADayIsRefused) {
  auto r = load(with_oms(R"([storage]
keep_samples = "30m"
keep_events = "0s"
)"));
  EXPECT_THAT(errors(r),
              ElementsAre("8:16: storage.keep_samples: 30m is less than a day; history is kept "
                          "for days, e.g. \"30d\"",
                          "9:15: storage.keep_events: must be longer than 0s"));
  EXPECT_FALSE(r.config.has_value());

  r = load(with_oms("[storage]\nkeep_samples = \"1d\"\nkeep_events = \"24h\"\n"));
  ASSERT_THAT(errors(r), IsEmpty());
  EXPECT_EQ(r.config->storage.keep_samples, 24h);
  EXPECT_EQ(r.config->storage.keep_events, 24h);
}

TEST(StorageSettings, BadValuesAndUnknownKeysAreErrorsWithTheirPlace) {
  auto r = load(with_oms(R"([storage]
sample_every = 60
keep_sample = "30d"
keep_events = "-1d"
)"));
  EXPECT_THAT(errors(r),
              ElementsAre("8:16: storage.sample_every: expected a duration string like \"30s\", "
                          "not an integer",
                          "9:1: unknown key 'storage.keep_sample' (did you mean 'keep_samples'?)",
                          "10:15: storage.keep_events: must not be negative"));
}

TEST(StorageSettings, TheTableMustBeATable) {
  // A bare key after [[oms]] would land in that table: it comes first.
  auto r = load("storage = \"30d\"\n" + with_oms(""));
  EXPECT_THAT(errors(r),
              ElementsAre("1:11: storage: expected a table such as [storage], not a string"));
}

TEST(StorageSettings, AMisspelledTableIsSuggested) {
  auto r = load(with_oms("[storag]\nkeep_samples = \"30d\"\n"));
  EXPECT_THAT(errors(r), ElementsAre("7:2: unknown table 'storag' (did you mean 'storage'?)"));
}

}  // namespace
}  // namespace omswatch::config
