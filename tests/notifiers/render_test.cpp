#include "notifiers/render.h"

#include <gtest/gtest.h>

#include "tests/notifiers/notifier_test_support.h"

namespace omswatch::notifiers {
namespace {

using test::code_points;
using test::is_valid_utf8;

std::string fact(const EventView& v, std::string_view label) {
  for (const auto& f : v.facts) {
    if (f.label == label) return f.value;
  }
  return "<absent>";
}

TEST(Utf8, InvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("迁移"), "迁移");
  EXPECT_EQ(valid_utf8("a\xff"
                       "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(valid_utf8("\xE8\xBF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // a cut sequence
  EXPECT_EQ(valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                  // overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  EXPECT_TRUE(is_valid_utf8(valid_utf8(std::string("\x80\xbf\xf5\x00\xfe", 5))));
}

TEST(Utf8, ByteTruncationNeverSplitsACodePoint) {
  const std::string text = "ab迁移🔴z";  // 2 + 3 + 3 + 4 + 1 bytes
  EXPECT_EQ(truncate_bytes(text, 100), text);
  EXPECT_EQ(truncate_bytes(text, text.size()), text);
  for (std::size_t limit = 0; limit < text.size(); ++limit) {
    auto cut = truncate_bytes(text, limit);
    EXPECT_LE(cut.size(), limit) << limit;
    EXPECT_TRUE(is_valid_utf8(cut)) << limit;
  }
  EXPECT_EQ(truncate_bytes(text, 8), "ab迁…");         // 2 + 3 + 3 (the ellipsis)
  EXPECT_EQ(truncate_bytes(text, 7, "..."), "ab...");  // 2 + 3 would not leave room for "..."
  EXPECT_EQ(truncate_bytes(text, 2), "ab");            // no room for the ellipsis at all
}

TEST(Utf8, CharTruncationCountsCodePoints) {
  const std::string text = "迁移迁移🔴x";
  EXPECT_EQ(utf8_length(text), 6u);
  EXPECT_EQ(truncate_chars(text, 6), text);
  EXPECT_EQ(truncate_chars(text, 5), "迁移迁移…");
  EXPECT_EQ(truncate_chars(text, 1), "…");
  EXPECT_EQ(truncate_chars(text, 0), "");
}

TEST(Render, FactsOfAFailedProject) {
  auto v = view_of(test::failed_event());
  EXPECT_EQ(v.label, "CRITICAL");
  EXPECT_EQ(v.mark, "🔴");
  EXPECT_EQ(v.title, "Project failed");
  EXPECT_EQ(fact(v, "Project"), "np_4w1 (orders-to-ob)");
  EXPECT_EQ(fact(v, "OMS"), "prod");
  EXPECT_EQ(fact(v, "Alarm level"), "HIGH");
  EXPECT_EQ(fact(v, "Status"), "FAILED");
  EXPECT_EQ(fact(v, "Step"), "INCR_TRANSFER");
  EXPECT_EQ(fact(v, "Progress"), "schema 100%, full 100%");
  EXPECT_EQ(fact(v, "Failed step"), "INCR_TRANSFER");
  EXPECT_EQ(fact(v, "Error"), "ORA-01555 snapshot too old");
  EXPECT_EQ(fact(v, "Observed"), "2027-01-15 08:00:00 UTC");
  EXPECT_EQ(v.link, "https://oms.example.internal/project/np_4w1");
}

TEST(Render, LagLastedAndReminders) {
  auto firing = view_of(test::lagging_event("firing"));
  EXPECT_EQ(fact(firing, "Lag"), "12m 5s (limit 10m)");
  EXPECT_EQ(fact(firing, "Lasted"), "<absent>");
  EXPECT_EQ(fact(firing, "Project"), "np_4w2");  // no name known

  auto resolved = view_of(test::lagging_event("resolved"));
  EXPECT_EQ(resolved.label, "RESOLVED");
  EXPECT_EQ(resolved.mark, "✅");
  EXPECT_EQ(fact(resolved, "Lasted"), "10m");
  EXPECT_EQ(fact(resolved, "Acknowledged"), "<absent>");

  Event acked = test::lagging_event("resolved");
  acked.acked_by = "alice";
  acked.ack_reason = "throttled the source";
  EXPECT_EQ(fact(view_of(acked), "Acknowledged"), "by alice: throttled the source");
  acked.ack_reason = "";
  EXPECT_EQ(fact(view_of(acked), "Acknowledged"), "by alice");
  acked.state = "firing";
  EXPECT_EQ(fact(view_of(acked), "Acknowledged"), "<absent>") << "said at the resolution only";

  Event reminder = test::lagging_event();
  reminder.details_json = R"({"lag_s":"3725","repeat":2,"firing_for_s":7200.0})";
  auto r = view_of(reminder);
  EXPECT_EQ(fact(r, "Lag"), "1h 2m");
  EXPECT_EQ(fact(r, "Reminder"), "#2, firing for 2h");
}

TEST(Render, ChangesAndStalls) {
  auto notice = view_of(test::status_notice());
  EXPECT_EQ(fact(notice, "Status"), "RUNNING → FINISHED");
  EXPECT_EQ(notice.label, "INFO");

  Event stalled = test::lagging_event();
  stalled.kind = "incr_stalled";
  stalled.details_json = R"({"checkpoint":"1799999000","unchanged_s":312})";
  EXPECT_EQ(fact(view_of(stalled), "Checkpoint"),
            "1799999000 (2027-01-15 07:43:20 UTC), unchanged for 5m 12s");
  stalled.details_json = R"({"checkpoint":"12,3456","unchanged_s":60})";
  EXPECT_EQ(fact(view_of(stalled), "Checkpoint"), "12,3456, unchanged for 1m");

  Event unreachable;
  unreachable.kind = "oms_unreachable";
  unreachable.state = "firing";
  unreachable.severity = Severity::critical;
  unreachable.oms = "prod";
  unreachable.details_json = R"({"error":"connection refused","failed_polls":9})";
  auto u = view_of(unreachable);
  EXPECT_EQ(u.title, "OMS unreachable");
  EXPECT_EQ(fact(u, "Project"), "<absent>");
  EXPECT_EQ(fact(u, "Error"), "connection refused");
  EXPECT_EQ(fact(u, "Failed polls in a row"), "9");
  EXPECT_FALSE(u.summary.empty());  // made up from the title when the event has none
}

TEST(Render, MigrationProgressKindsHaveTitles) {
  Event e = test::lagging_event();
  for (auto [kind, title] : {std::pair{"full_transfer_slow", "Full transfer slow"},
                             std::pair{"verify_mismatch", "Verification found differences"},
                             std::pair{"incr_falling_behind", "Incremental sync falling behind"},
                             std::pair{"cutover_ready", "Ready for cutover"}}) {
    e.kind = kind;
    EXPECT_EQ(view_of(e).title, title) << kind;
  }
}

TEST(Render, HostileEventsStayBoundedAndValid) {
  Event e = test::failed_event();
  e.summary = std::string(100'000, 'x') + "\xff";
  e.project_name = "\xC3";
  e.link = "javascript:alert(1)";
  e.details_json = "{not json";
  e.progress_json = R"({"status":["nested"],"structTransferProgress":1e300})";
  e.kind = "something_new_" + std::string(1000, 'k');
  auto v = view_of(e);
  EXPECT_LE(code_points(v.summary), kMaxSummaryChars);
  EXPECT_TRUE(v.link.empty());  // only http(s) links are shown
  EXPECT_LE(code_points(v.title), 60u);
  EXPECT_EQ(v.title.substr(0, 13), "Something new");
  EXPECT_EQ(fact(v, "Project"), "np_4w1 (\xEF\xBF\xBD)");
  EXPECT_EQ(fact(v, "Status"), "<absent>");
  EXPECT_EQ(fact(v, "Progress"), "<absent>");
  auto headline = event_headline(e);
  EXPECT_TRUE(is_valid_utf8(headline));
  EXPECT_LE(code_points(headline), kMaxSummaryChars + 20);
}

TEST(Render, Headlines) {
  EXPECT_EQ(event_headline(test::failed_event()),
            "🔴 [CRITICAL] np_4w1 FAILED in INCR_TRANSFER: ORA-01555 snapshot too old");
  EXPECT_EQ(group_headline({test::failed_event()}), event_headline(test::failed_event()));
  EXPECT_EQ(group_headline({test::lagging_event("resolved"), test::failed_event(),
                            test::failed_event(), test::status_notice()}),
            "🔴 4 events on prod: 2 critical firing, 1 resolved, 1 notice");
  auto other = test::lagging_event();
  other.oms = "staging";
  EXPECT_EQ(group_headline({other, test::lagging_event("resolved")}),
            "🟠 2 events: 1 warning firing, 1 resolved");
  EXPECT_EQ(group_headline({test::lagging_event("resolved"), test::lagging_event("resolved")}),
            "✅ 2 events on prod: 2 resolved");
  EXPECT_EQ(group_tone({test::status_notice()}), Tone::info);
  EXPECT_EQ(group_tone({test::status_notice(), test::lagging_event()}), Tone::warning);
}

TEST(Render, MostUrgentFirstOtherwiseInOrder) {
  auto a = test::status_notice();
  auto b = test::lagging_event("resolved");
  auto c = test::lagging_event();
  auto d = test::failed_event();
  auto e = test::failed_event();
  e.id = "second_failure";
  auto sorted = by_urgency({a, b, c, d, e});
  std::vector<std::string> ids;
  for (const auto& x : sorted) ids.push_back(x.id);
  EXPECT_EQ(ids, (std::vector<std::string>{"evt_failed", "second_failure", "evt_lag_firing",
                                           "evt_lag_resolved", "evt_status"}));
}

TEST(Render, FitCountFindsTheLargestFit) {
  for (std::size_t limit : {0u, 1u, 7u, 50u, 100u}) {
    EXPECT_EQ(fit_count(50, [&](std::size_t n) { return n <= limit; }),
              std::min<std::size_t>(limit, 50));
  }
  EXPECT_EQ(more_line(1), "… and 1 more event");
  EXPECT_EQ(more_line(12), "… and 12 more events");
}

TEST(Render, ARunningTransferCarriesItsEtaAndRate) {
  Event e = test::slow_transfer_event();
  EXPECT_EQ(fact(view_of(e), "ETA"), "25m-31m at 12,300 rows/s");
  // By progress: percentage points per second.
  e.details_json = R"({"eta":{"low_s":3900,"high_s":4500},"rate":0.0123456,"eta_basis":"percent"})";
  EXPECT_EQ(fact(view_of(e), "ETA"), "1h 5m-1h 15m at 0.012 %/s");
  // One number of seconds; a range of one point.
  e.details_json = R"({"eta":600,"rate":1234567})";
  EXPECT_EQ(fact(view_of(e), "ETA"), "10m at 1,234,567 rows/s");
  e.details_json = R"({"eta":{"low_s":600,"high_s":600}})";
  EXPECT_EQ(fact(view_of(e), "ETA"), "10m");
  // A rate without an ETA yet; neither: no fact.
  e.details_json = R"({"rate":12300})";
  EXPECT_EQ(fact(view_of(e), "ETA"), "unknown at 12,300 rows/s");
  for (const char* none : {R"({})", R"({"eta":"soon","rate":"fast"})",
                           R"({"eta":{"low_s":-5,"high_s":3}})", R"({"rate":-3})"}) {
    e.details_json = none;
    EXPECT_EQ(fact(view_of(e), "ETA"), "<absent>") << none;
  }
  // Events of other kinds carry none.
  EXPECT_EQ(fact(view_of(test::failed_event()), "ETA"), "<absent>");
}

TEST(Render, MarkdownDialects) {
  Event e = test::failed_event();
  e.summary = "a <b> & *c* [x](y)";
  auto v = view_of(e);
  auto slack = markdown_event(v, slack_mrkdwn(), 3000);
  // A zero-width space keeps "[x](y)" from reading as a link in any dialect.
  EXPECT_NE(slack.find("🔴 *CRITICAL · Project failed*\na &lt;b&gt; &amp; *c* [x]\xE2\x80\x8B(y)\n"),
            std::string::npos)
      << slack;
  EXPECT_NE(slack.find("• *Error:* ORA-01555 snapshot too old"), std::string::npos);
  EXPECT_NE(slack.find("<https://oms.example.internal/project/np_4w1|Open in the OMS console>"),
            std::string::npos);

  auto md =
      markdown_event(v, common_markdown([](std::string_view s) { return std::string(s); }), 3000);
  EXPECT_EQ(md.find("Lasted"), std::string::npos) << "a resolved-only fact on a firing";
  EXPECT_NE(md.find("- **Project:** np_4w1 (orders-to-ob)"), std::string::npos);
  EXPECT_NE(md.find("[Open in the OMS console](https://oms.example.internal/project/np_4w1)"),
            std::string::npos);

  EXPECT_EQ(link_target("http://h/a b(c)|<d>"), "http://h/a%20b%28c%29%7C%3Cd%3E");
  auto cut = markdown_event(v, slack_mrkdwn(), 40);
  EXPECT_LE(cut.size(), 40u);
  EXPECT_TRUE(is_valid_utf8(cut));
}

TEST(Render, TheConsolePageIsShownWhenItIsAnHttpUrl) {
  EXPECT_EQ(view_of(test::on_console(test::failed_event())).page, test::kFailedPage);
  EXPECT_EQ(view_of(test::failed_event()).page, "");
  Event e = test::failed_event();
  e.omswatch_url = "javascript:alert(1)";
  EXPECT_EQ(view_of(e).page, "");
}

TEST(Render, MarkdownLinksBothConsolesAndKeepsThemWholeWhenCut) {
  EventView v = view_of(test::on_console(test::failed_event()));
  const auto plain = common_markdown([](std::string_view s) { return std::string(s); });
  const std::string links = "[Open in omswatch](" + test::kFailedPage +
                            ") · [Open in the OMS console](https://oms.example.internal/project/"
                            "np_4w1)";
  std::string md = markdown_event(v, plain, 3000);
  EXPECT_TRUE(md.ends_with("\n" + links)) << md;
  // Cut to fit: the facts give way, the links stay whole.
  std::string cut = markdown_event(v, plain, 300);
  EXPECT_LE(cut.size(), 300u);
  EXPECT_TRUE(cut.ends_with("…\n" + links)) << cut;
  EXPECT_TRUE(is_valid_utf8(cut));
  // Too small even for the links: none, rather than half of one.
  std::string tiny = markdown_event(v, plain, 100);
  EXPECT_LE(tiny.size(), 100u);
  EXPECT_EQ(tiny.find("]("), std::string::npos) << tiny;
}

}  // namespace
}  // namespace omswatch::notifiers
