// Text from OMS cannot add links, images, mentions or tags to a chat message,
// in any platform's dialect: each platform's payload is rendered from events
// whose every text field is hostile, and searched for what its renderer would obey.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>

#include "notifiers/render.h"
#include "tests/notifiers/notifier_test_support.h"

namespace omswatch::notifiers {
namespace {

const std::vector<std::string> kHostile = {
    "[click here](http://evil.example/a)",
    "![img](http://evil.example/x.png)",
    "<font color=\"red\">FIXED</font>",
    "<at user_id=\"all\"></at> <at id=all></at>",
    "<!channel> <!here> <@U0123>",
    "<http://evil.example/b|click>",
    "@all @here @everyone",
    "see http://evil.example/c and www.evil.example",
    "<a href=\"http://evil.example/d\">x</a>",
};

Event hostile_event(const std::string& text) {
  Event e = test::failed_event();
  e.link.clear();  // omswatch's own console link is the only link a message may carry
  e.summary = "np_4w1 " + text;
  e.project_id = "np_" + text;
  e.project_name = text;
  e.oms = "prod " + text;
  e.details_json = boost::json::serialize(boost::json::object{{"status", text},
                                                              {"step", text},
                                                              {"failed_step", text},
                                                              {"error_code", "ORA-1"},
                                                              {"error_message", text}});
  e.progress_json = boost::json::serialize(boost::json::object{{"status", text}});
  return e;
}

// What no platform's renderer may find in a payload made from kHostile.
const std::vector<std::string> kObeyed = {
    "](http", "[click here](", "<font", "<at ",  "<!channel", "<!here",      "<@U",
    "<http",  "<a href",       "@all",  "@here", "@everyone", "http://evil", "www.evil",
};

struct Platform {
  std::string name;
  std::function<std::string(const std::vector<Event>&)> render;
};

const std::vector<Platform> kPlatforms = {
    {"slack", render_slack_payload},
    {"dingtalk", render_dingtalk_payload},
    {"feishu", [](const auto& e) { return render_feishu_payload(e, std::nullopt, ""); }},
    {"wecom", render_wecom_payload},
    {"teams", render_teams_payload},
};

// Every string of the payload (its JSON decoded) that the platform reads as
// markup: all but plain-text objects (Slack's header, Feishu's card title).
void collect_strings(const boost::json::value& v, std::string& out) {
  if (v.is_object()) {
    const auto& o = v.as_object();
    for (const char* key : {"type", "tag"}) {
      if (const auto* t = o.if_contains(key); t && t->is_string() && t->as_string() == "plain_text")
        return;
    }
  }
  if (v.is_string()) {
    out += v.as_string();
    out += '\n';
  } else if (v.is_array()) {
    for (const auto& x : v.as_array()) collect_strings(x, out);
  } else if (v.is_object()) {
    for (const auto& [k, x] : v.as_object()) collect_strings(x, out);
  }
}

TEST(ChatMarkup, OmsTextAddsNoLinkMentionOrTagOnAnyPlatform) {
  for (const auto& platform : kPlatforms) {
    for (const auto& text : kHostile) {
      for (const auto& events : {std::vector<Event>{hostile_event(text)},
                                 std::vector<Event>{hostile_event(text), hostile_event(text)}}) {
        std::string strings;
        collect_strings(boost::json::parse(platform.render(events)), strings);
        for (const auto& obeyed : kObeyed) {
          EXPECT_EQ(strings.find(obeyed), std::string::npos)
              << platform.name << " (" << events.size() << " events) obeys \"" << obeyed
              << "\" of \"" << text << "\":\n"
              << strings;
        }
      }
    }
  }
}

TEST(ChatMarkup, SlackTopLevelTextIsEscapedMrkdwn) {
  std::vector<Event> events{hostile_event("<!channel> [x](http://evil.example)")};
  auto payload = boost::json::parse(render_slack_payload(events)).as_object();
  const std::string text(payload.at("text").as_string());
  EXPECT_EQ(text.find('<'), std::string::npos) << text;
  EXPECT_NE(text.find("&lt;!channel&gt;"), std::string::npos) << text;
}

TEST(ChatMarkup, OrdinaryTextReadsTheSame) {
  // The inserted zero-width spaces are invisible; without them the text is as OMS wrote it.
  auto visible = [](std::string s) {
    for (std::size_t at = s.find("\xE2\x80\x8B"); at != std::string::npos;
         at = s.find("\xE2\x80\x8B")) {
      s.erase(at, 3);
    }
    return s;
  };
  EXPECT_EQ(visible(inert_markdown("[a](http://x.example) @all www.x.example <b>")),
            "[a](http://x.example) @all www.x.example \xEF\xBC\x9C"
            "b>");
  EXPECT_EQ(visible(inert_slack_mrkdwn("a & <b> @here")), "a &amp; &lt;b&gt; @here");
  EXPECT_EQ(visible(inert_feishu_markdown("<at id=all></at>")), "&lt;at id=all&gt;&lt;/at&gt;");
  EXPECT_EQ(inert_markdown("np_4w1 FAILED in INCR_TRANSFER: ORA-01555 (snapshot)"),
            "np_4w1 FAILED in INCR_TRANSFER: ORA-01555 (snapshot)");
}

// A project id is percent-encoded into its console page: whatever it holds,
// the page is one link (or button) target and adds nothing else.
TEST(ChatMarkup, AHostileProjectIdInTheConsolePageAddsNoLinkMentionOrTag) {
  for (const auto& platform : kPlatforms) {
    for (const auto& text : kHostile) {
      Event e = test::on_console(hostile_event(text));
      const std::string page = e.omswatch_url;
      ASSERT_FALSE(page.empty());
      std::string strings;
      collect_strings(boost::json::parse(platform.render({e})), strings);
      // The page appears, whole; taken out, nothing obeyed is left.
      std::size_t found = 0;
      for (auto at = strings.find(page); at != std::string::npos; at = strings.find(page)) {
        strings.erase(at, page.size());
        ++found;
      }
      EXPECT_EQ(found, 1u) << platform.name << ": " << page;
      for (const auto& obeyed : kObeyed) {
        EXPECT_EQ(strings.find(obeyed), std::string::npos)
            << platform.name << " obeys \"" << obeyed << "\" of \"" << text << "\":\n"
            << strings;
      }
    }
  }
}

}  // namespace
}  // namespace omswatch::notifiers
