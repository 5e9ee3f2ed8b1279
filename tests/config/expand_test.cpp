#include "config/expand.h"

#include <gtest/gtest.h>

#include <map>

namespace omswatch::config::detail {
namespace {

EnvLookup env_of(std::map<std::string, std::string, std::less<>> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string expanded(std::string_view text) {
  auto r =
      expand_env(text, env_of({{"A", "alpha"}, {"B_2", "beta"}, {"EMPTY", ""}, {"REF", "${A}"}}));
  return r ? *r : "error: " + r.error();
}

TEST(ExpandEnv, ReplacesVariables) {
  EXPECT_EQ(expanded("plain"), "plain");
  EXPECT_EQ(expanded(""), "");
  EXPECT_EQ(expanded("${A}"), "alpha");
  EXPECT_EQ(expanded("x${A}y${B_2}z"), "xalphaybetaz");
  EXPECT_EQ(expanded("${EMPTY}"), "");
  EXPECT_EQ(expanded("${REF}"), "${A}");  // values are not expanded again
}

TEST(ExpandEnv, KeepsOtherDollarsAndHonoursTheEscape) {
  EXPECT_EQ(expanded("pa$$word"), "pa$$word");
  EXPECT_EQ(expanded("$A"), "$A");
  EXPECT_EQ(expanded("cost: 5$"), "cost: 5$");
  EXPECT_EQ(expanded("$${A}"), "${A}");
  EXPECT_EQ(expanded("$$${A}"), "$${A}");  // read left to right: "$", then the escape
  EXPECT_EQ(expanded("$${"), "${");
}

TEST(ExpandEnv, ReportsProblemsWithoutQuotingTheText) {
  EXPECT_EQ(expanded("${MISSING}"), "error: environment variable MISSING is not set");
  EXPECT_EQ(expanded("hunter2${"),
            "error: unterminated \"${\" (write \"$${\" for a literal \"${\")");
  for (const char* bad : {"${}", "${1A}", "${A B}", "${hunter2!}"}) {
    auto r = expand_env(bad, env_of({}));
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().find("hunter2"), std::string::npos);
    EXPECT_NE(r.error().find("variable name"), std::string::npos) << r.error();
  }
}

TEST(ExpandEnv, WorksWithoutAnEnvironment) {
  EXPECT_EQ(*expand_env("plain", EnvLookup{}), "plain");
  EXPECT_FALSE(expand_env("${A}", EnvLookup{}));
}

TEST(IsSingleReference, TellsAReferenceFromAnInlineValue) {
  EXPECT_TRUE(is_single_reference("${OMS_PASSWORD}"));
  EXPECT_FALSE(is_single_reference("secret"));
  EXPECT_FALSE(is_single_reference("x${A}"));
  EXPECT_FALSE(is_single_reference("${A}${B}"));
  EXPECT_FALSE(is_single_reference("${}"));
  EXPECT_FALSE(is_single_reference("$${A}"));
}

}  // namespace
}  // namespace omswatch::config::detail
