// Hostile input: random bytes, mutated configurations and oversized documents
// never crash the loader, and anything that is not a valid configuration comes
// back as errors. Seeds are fixed so that a failure can be replayed.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "config/config.h"
#include "tests/config/config_test_support.h"

namespace omswatch::config {
namespace {

using test::env_of;
using ::testing::HasSubstr;

constexpr std::string_view kValid = R"([daemon]
database = "/tmp/omswatch-robustness.db"
listen = "127.0.0.1:0"
[[oms]]
name = "prod"
url = "http://oms:8089"
username = "u"
password = "${PW}"
projects = ["np_1", "np_2"]
interval = "30s"
[detect]
stall_after = "5m"
[routes.HIGH]
receivers = ["ops"]
repeat = "15m"
[[receivers]]
name = "ops"
type = "webhook"
url = "https://hooks.example.internal/x"
secret = "${PW}"
)";

// A result is consistent: a config exactly when there are no errors, and
// every diagnostic names the source and says something.
void expect_consistent(const LoadResult& r, const std::string& input) {
  EXPECT_EQ(r.config.has_value(), r.errors.empty()) << input;
  for (const auto& d : r.errors) {
    EXPECT_EQ(d.file, "fuzz.toml");
    EXPECT_FALSE(d.message.empty());
    EXPECT_GE(d.line, 0);
    EXPECT_GE(d.column, 0);
  }
  if (r.config) {
    EXPECT_EQ(r.config->routes.size(), 4u);
  }
}

LoadResult load_fuzz(std::string_view text) {
  return load_string(text, "fuzz.toml", env_of({{"PW", "pw"}}));
}

TEST(Robustness, TheBaseOfTheMutationsIsValid) {
  auto r = load_fuzz(kValid);
  EXPECT_THAT(test::errors(r), ::testing::IsEmpty());
}

TEST(Robustness, RandomBytesAlwaysYieldErrors) {
  std::mt19937 rng(20261129);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> length(0, 512);
  for (int i = 0; i < 2000; ++i) {
    std::string input(static_cast<std::size_t>(length(rng)), '\0');
    for (auto& c : input) c = static_cast<char>(byte(rng));
    auto r = load_fuzz(input);
    EXPECT_FALSE(r.config) << "case " << i;
    EXPECT_FALSE(r.errors.empty()) << "case " << i;
    expect_consistent(r, input);
  }
}

TEST(Robustness, RandomTomlLikeTextAlwaysYieldsErrors) {
  // Drawn from TOML's own punctuation so the parser gets past the first byte.
  constexpr std::string_view kAlphabet = "[]{}=\"'.,#\n \t$\\abcdefmsh0123456789-_+:";
  std::mt19937 rng(7);
  std::uniform_int_distribution<std::size_t> pick(0, kAlphabet.size() - 1);
  std::uniform_int_distribution<int> length(0, 300);
  for (int i = 0; i < 3000; ++i) {
    std::string input;
    for (int n = length(rng); n > 0; --n) input += kAlphabet[pick(rng)];
    auto r = load_fuzz(input);
    EXPECT_FALSE(r.errors.empty()) << input;
    expect_consistent(r, input);
  }
}

TEST(Robustness, MutatedConfigurationsNeverCrash) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> byte(0, 255);
  std::uniform_int_distribution<int> edits(1, 8);
  int rejected = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string input(kValid);
    for (int n = edits(rng); n > 0; --n) {
      std::uniform_int_distribution<std::size_t> at(0, input.size());
      const std::size_t pos = at(rng);
      switch (byte(rng) % 3) {
        case 0:
          if (pos < input.size()) input[pos] = static_cast<char>(byte(rng));
          break;
        case 1:
          if (pos < input.size()) input.erase(pos, 1 + byte(rng) % 16);
          break;
        default:
          input.insert(pos, 1, static_cast<char>(byte(rng)));
      }
    }
    auto r = load_fuzz(input);
    expect_consistent(r, input);
    if (!r.config) ++rejected;
  }
  EXPECT_GT(rejected, 0);
}

TEST(Robustness, DeepNestingIsASyntaxError) {
  for (const std::string& input : {"a = " + std::string(100'000, '['), std::string(100'000, '['),
                                   "a = " + std::string(5000, '{') + std::string(5000, '}'),
                                   "x = [" + std::string(300, '[') + std::string(300, ']') + "]"}) {
    auto r = load_fuzz(input);
    ASSERT_FALSE(r.errors.empty());
    expect_consistent(r, input.substr(0, 20));
  }
}

TEST(Robustness, ManyProblemsAreCappedAndCounted) {
  std::string input(kValid);
  input += "[extra]\n";
  for (int i = 0; i < 20'000; ++i) input += "[routes.L" + std::to_string(i) + "]\n";
  auto r = load_fuzz(input);
  ASSERT_EQ(r.errors.size(), 101u);
  EXPECT_EQ(r.errors.back().line, 0);
  EXPECT_THAT(r.errors.back().message, HasSubstr("too many errors; 19901 more not shown"));
  EXPECT_EQ(r.errors.front().line, 21);  // the first in document order, not in key order
}

TEST(Robustness, LargeValuesAreBounded) {
  const std::string long_value(70 * 1024, 'a');
  auto r = load_fuzz(std::string(kValid) +
                     "[[oms]]\nname = \"x\"\nurl = \"http://x\"\n"
                     "username = \"" +
                     long_value + "\"\npassword = \"p\"\nprojects = [\"p\"]\n");
  EXPECT_THAT(test::errors(r), ::testing::ElementsAre("24:12: oms.username: longer than 64 KiB"));

  // An environment variable may not smuggle in what the file may not hold.
  auto huge_env = load_string(kValid, "fuzz.toml", env_of({{"PW", long_value}}));
  EXPECT_FALSE(huge_env.config);

  auto nul_in_string =
      load_fuzz(std::string(kValid).replace(kValid.find("/tmp/"), 5, "/tmp/\\u0000"));
  EXPECT_THAT(test::errors(nul_in_string),
              ::testing::ElementsAre("2:12: daemon.database: must not contain a NUL character"));
}

TEST(Robustness, EmbeddedNulBytesAreRejected) {
  std::string input(kValid);
  input.insert(10, 1, '\0');
  auto r = load_fuzz(input);
  EXPECT_FALSE(r.config);
  EXPECT_FALSE(r.errors.empty());
}

}  // namespace
}  // namespace omswatch::config
