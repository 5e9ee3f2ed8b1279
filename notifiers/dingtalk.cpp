// The `dingtalk` receiver: a custom robot, one markdown message per group,
// signed when the robot has a secret ("加签").
//
// A robot takes 20 messages a minute and is then blocked for 10 minutes, so
// the sender holds messages back itself before that; bodies over 20000 bytes
// are refused (460101), so the message keeps its headline and the most
// urgent events that fit.

#include <boost/json.hpp>
#include <cctype>

#include "common/time.h"
#include "net/http_client.h"
#include "notifiers/http_outcome.h"
#include "notifiers/rate_limit.h"
#include "notifiers/render.h"
#include "notifiers/sender.h"
#include "notifiers/signing.h"

namespace omswatch::notifiers {
namespace json = boost::json;

namespace {

constexpr std::size_t kMaxBodyBytes = 20'000;
constexpr std::size_t kTitleChars = 100;
constexpr std::size_t kEventBytes = 4'000;
// One under the platform's 20 a minute: its window and ours do not start together.
constexpr std::size_t kMessagesPerMinute = 19;

constexpr std::int64_t kOk = 0;
constexpr std::int64_t kThrottled = 130101;
// A bad signature or timestamp, a missing keyword, an address not allowed.
constexpr std::int64_t kSecurityCheck = 310000;
constexpr std::int64_t kTooLarge = 460101;

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '_' || c == '.' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 0xF]);
    }
  }
  return out;
}

// `url` with `params` added to its query (before any fragment).
std::string with_query(std::string_view url, std::string_view params) {
  auto hash = url.find('#');
  std::string_view base = url.substr(0, hash);
  std::string out(base);
  if (base.find('?') == std::string_view::npos) {
    out += '?';
  } else if (!base.ends_with('?') && !base.ends_with('&')) {
    out += '&';
  }
  out += params;
  if (hash != std::string_view::npos) out += url.substr(hash);
  return out;
}

// DingTalk's markdown needs a blank line for a line break.
std::string dingtalk_lines(std::string_view markdown) {
  std::string out;
  out.reserve(markdown.size() + markdown.size() / 16);
  for (char c : markdown) {
    out.push_back(c);
    if (c == '\n') out.push_back('\n');
  }
  return out;
}

DeliveryOutcome read_reply(const net::HttpResponse& res) {
  auto reply = read_platform_reply(res.body, {"errcode"}, {"errmsg"});
  if (!reply) return missing_platform_code(res, "DingTalk's errcode");
  const std::string code = " (errcode " + std::to_string(reply->code) + ": " + reply->message + ")";
  switch (reply->code) {
    case kOk:
      return {DeliveryOutcome::Result::delivered, "errcode 0", std::nullopt};
    case kThrottled:
      return {DeliveryOutcome::Result::retry, "DingTalk throttled the robot" + code,
              std::chrono::seconds(60)};
    case kSecurityCheck:
      return {DeliveryOutcome::Result::rejected,
              "the robot's security settings refused the message (signature and timestamp: check "
              "the receiver's secret and this host's clock; or keyword, or IP allow-list)" +
                  code,
              std::nullopt};
    case kTooLarge:
      return {DeliveryOutcome::Result::rejected, "DingTalk refused the message as too large" + code,
              std::nullopt};
    default:
      return {DeliveryOutcome::Result::rejected, "DingTalk refused the message" + code,
              std::nullopt};
  }
}

class DingTalkSender final : public Sender {
 public:
  DingTalkSender(const config::Receiver& r, const SenderContext& ctx)
      : Sender(r.name),
        receiver_(r),
        ctx_(ctx),
        window_(kMessagesPerMinute, std::chrono::minutes(1)) {}

  boost::asio::awaitable<DeliveryOutcome> send(std::vector<Event> events, std::string) override {
    const auto now = ctx_.now();
    if (auto wait = window_.acquire(now)) {
      co_return DeliveryOutcome{DeliveryOutcome::Result::deferred,
                                "held back: a DingTalk robot takes " +
                                    std::to_string(kMessagesPerMinute) +
                                    " messages a minute before it is blocked for 10 minutes",
                                *wait};
    }
    std::string url = receiver_.url.reveal();
    if (!receiver_.secret.empty()) {
      const std::string timestamp = std::to_string(to_unix_ms(now));
      const std::string& secret = receiver_.secret.reveal();
      const std::string sign = base64_encode(hmac_sha256(secret, timestamp + "\n" + secret));
      url = with_query(url, "timestamp=" + timestamp + "&sign=" + percent_encode(sign));
    }
    auto req = json_post(std::move(url), render_dingtalk_payload(events), receiver_, ctx_.env);
    auto res = scrubbed(co_await ctx_.http->send(std::move(req)), ctx_.redact);
    co_return dingtalk_outcome(res);
  }

 private:
  config::Receiver receiver_;
  SenderContext ctx_;
  SendWindow window_;
};

}  // namespace

DeliveryOutcome dingtalk_outcome(const boost::system::result<net::HttpResponse>& result) {
  return outcome_from_http(result, accept_when_delivered(read_reply));
}

std::string render_dingtalk_payload(const std::vector<Event>& group) {
  const std::vector<Event> events = by_urgency(group);
  const std::string headline = inert_markdown(group_headline(events));
  const MarkdownDialect dialect = common_markdown(inert_markdown);
  std::vector<std::string> blocks;
  blocks.reserve(events.size());
  for (const auto& e : events) {
    blocks.push_back(dingtalk_lines(markdown_event(view_of(e), dialect, kEventBytes)));
  }

  auto payload = [&](std::size_t shown) {
    std::string text = "#### " + headline + "\n\n";
    for (std::size_t i = 0; i < shown; ++i) text += blocks[i] + "\n\n";
    if (shown < events.size()) text += more_line(events.size() - shown) + "\n\n";
    text += "omswatch";  // also the keyword of robots that require one
    json::object o{
        {"msgtype", "markdown"},
        {"markdown", {{"title", truncate_chars(headline, kTitleChars)}, {"text", std::move(text)}}},
        {"at", {{"atMobiles", json::array()}, {"isAtAll", false}}}};
    return json::serialize(o);
  };
  const std::size_t shown =
      fit_count(events.size(), [&](std::size_t n) { return payload(n).size() <= kMaxBodyBytes; });
  return payload(shown);
}

std::unique_ptr<Sender> make_dingtalk_sender(const config::Receiver& r, const SenderContext& ctx) {
  return std::make_unique<DingTalkSender>(r, ctx);
}

}  // namespace omswatch::notifiers
