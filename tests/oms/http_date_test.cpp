#include "oms/http_date.h"

#include <gtest/gtest.h>

#include "oms/basic_auth.h"

namespace omswatch::oms {
namespace {

using std::chrono::seconds;
using std::chrono::system_clock;

// 1994-11-06T08:49:37Z, the example of RFC 9110.
const system_clock::time_point kRfcExample(seconds(784111777));

TEST(HttpDate, ReadsTheThreeFormsOfRfc9110) {
  EXPECT_EQ(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"), kRfcExample);
  EXPECT_EQ(parse_http_date("Sun Nov  6 08:49:37 1994"), kRfcExample);
}

TEST(HttpDate, NamesMatchCaseInsensitively) {
  EXPECT_EQ(parse_http_date("sun, 06 NOV 1994 08:49:37 gmt"), kRfcExample);
}

TEST(HttpDate, TwoDigitYears) {
  EXPECT_EQ(parse_http_date("Thursday, 01-Jan-70 00:00:00 GMT"),
            system_clock::time_point(seconds(0)));
  EXPECT_EQ(parse_http_date("Friday, 01-Jan-27 00:00:00 GMT"),
            parse_http_date("Fri, 01 Jan 2027 00:00:00 GMT"));
}

TEST(HttpDate, LeapDayAndLeapSecond) {
  EXPECT_EQ(parse_http_date("Thu, 29 Feb 2024 12:00:00 GMT"),
            system_clock::time_point(seconds(1709208000)));
  EXPECT_EQ(parse_http_date("Sat, 31 Dec 2016 23:59:60 GMT"),
            parse_http_date("Sat, 31 Dec 2016 23:59:59 GMT"));
}

TEST(HttpDate, RejectsWhatIsNotADate) {
  for (const char* bad :
       {"", "yesterday", "Sun, 06 Nov 1994 08:49:37 PST", "Sun, 06 Nov 1994 08:49 GMT",
        "Sun, 6 Nov 1994 08:49:37 GMT", "Sun, 06 Nox 1994 08:49:37 GMT",
        "Sun, 31 Feb 2023 08:49:37 GMT", "Fri, 29 Feb 2023 08:49:37 GMT",
        "Sun, 06 Nov 1994 24:00:00 GMT", "Sun, 06 Nov 1994 08:60:00 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT", "Xyz, 06 Nov 1994 08:49:37 GMT", "1994-11-06T08:49:37Z",
        "Sun, 06 Nov 1994 08:49:37 GMT trailing", "Sun, 06 Nov 19945 08:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT"}) {
    EXPECT_EQ(parse_http_date(bad), std::nullopt) << bad;
  }
  EXPECT_EQ(parse_http_date(std::string(10000, 'x')), std::nullopt);
}

// Found by fuzz_oms_reply: the seconds of a far year overflowed the clock's nanoseconds.
TEST(HttpDate, RejectsYearsTheClockCannotHold) {
  for (const char* far : {"Mon, 01 Feb 1012 00:00:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT",
                          "Sat, 01 Jan 2263 00:00:00 GMT", "Sun Jan  1 00:00:00 1677"}) {
    EXPECT_EQ(parse_http_date(far), std::nullopt) << far;
  }
  EXPECT_EQ(parse_http_date("Fri, 01 Jan 2262 00:00:00 GMT"),
            system_clock::time_point(seconds(9'214'646'400)));
  EXPECT_EQ(parse_http_date("Fri, 01 Jan 1700 00:00:00 GMT"),
            system_clock::time_point(seconds(-8'520'336'000)));
}

TEST(HttpDate, FormatsImfFixdate) {
  EXPECT_EQ(format_http_date(kRfcExample), "Sun, 06 Nov 1994 08:49:37 GMT");
  EXPECT_EQ(format_http_date(system_clock::time_point(seconds(0))),
            "Thu, 01 Jan 1970 00:00:00 GMT");
  EXPECT_EQ(format_http_date(system_clock::time_point(seconds(1709208000))),
            "Thu, 29 Feb 2024 12:00:00 GMT");
}

TEST(HttpDate, RoundTripsOverManyDays) {
  for (std::int64_t s = 0; s < 4'000'000'000; s += 7'777'777) {
    const system_clock::time_point t{seconds(s)};
    EXPECT_EQ(parse_http_date(format_http_date(t)), t) << format_http_date(t);
  }
}

TEST(BasicAuth, EncodesTheRfc7617Example) {
  EXPECT_EQ(basic_authorization("Aladdin", "open sesame"), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  EXPECT_EQ(basic_authorization("a", ""), "Basic YTo=");
  EXPECT_EQ(basic_authorization("ab", "c"), "Basic YWI6Yw==");
  EXPECT_EQ(basic_authorization("ab", "cd"), "Basic YWI6Y2Q=");
}

TEST(BasicAuth, Matches) {
  EXPECT_TRUE(
      basic_authorization_matches("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame"));
  EXPECT_TRUE(basic_authorization_matches("basic  QWxhZGRpbjpvcGVuIHNlc2FtZQ== ", "Aladdin",
                                          "open sesame"));
  EXPECT_FALSE(
      basic_authorization_matches("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesamE"));
  EXPECT_FALSE(
      basic_authorization_matches("Bearer QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Aladdin", "open sesame"));
  EXPECT_FALSE(basic_authorization_matches("", "Aladdin", "open sesame"));
  EXPECT_FALSE(basic_authorization_matches("Basic", "Aladdin", "open sesame"));
}

}  // namespace
}  // namespace omswatch::oms
