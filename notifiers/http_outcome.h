#pragma once
// How an HTTP exchange with a receiver turns into a DeliveryOutcome. Private to notifiers/.

#include <boost/system/result.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "net/http.h"
#include "notifiers/sender.h"

namespace omswatch::notifiers {

// Reads a 2xx reply's body for the platform's own success signal (DingTalk's
// errcode, Slack's "ok"); nullopt when the platform says it accepted the message.
using PlatformCheck = std::function<std::optional<DeliveryOutcome>(const net::HttpResponse&)>;

// A 2xx reply that lacks the platform's success code (`what`, e.g.
// "DingTalk's errcode"): worth a retry, with a bounded snippet of the body.
DeliveryOutcome missing_platform_code(const net::HttpResponse& res, std::string_view what);

// A receiver's reply may echo the request it got (a proxy's error page, a
// misconfigured bot): the URL with its token, the Authorization header, the
// signing secret. Each sender passes the reply through scrubbed() as it
// arrives, with its SenderContext's redactor (which make_sender() fills with
// the receiver's secrets), so that no outcome, log line, outbox row, API
// answer or notify-test output carries them: `result` with the secrets
// masked in the body and in every header value.
boost::system::result<net::HttpResponse> scrubbed(boost::system::result<net::HttpResponse> result,
                                                  const Redactor& redact);

// Transport failures, 408, 429 and 5xx are worth a retry (honouring Retry-After);
// other non-2xx answers are final rejections.
DeliveryOutcome outcome_from_http(const boost::system::result<net::HttpResponse>& result,
                                  const PlatformCheck& check);

// Each receiver type's reading of the reply to its POST, the last step of its
// sender's send(): a transport failure, or the status, headers and body, give
// the outcome the dispatcher acts on. Pure, for tests and fuzzing.
DeliveryOutcome webhook_outcome(const boost::system::result<net::HttpResponse>& result);
DeliveryOutcome slack_outcome(const boost::system::result<net::HttpResponse>& result);
DeliveryOutcome dingtalk_outcome(const boost::system::result<net::HttpResponse>& result);
DeliveryOutcome feishu_outcome(const boost::system::result<net::HttpResponse>& result);
DeliveryOutcome wecom_outcome(const boost::system::result<net::HttpResponse>& result);
DeliveryOutcome teams_outcome(const boost::system::result<net::HttpResponse>& result);
DeliveryOutcome alertmanager_outcome(const boost::system::result<net::HttpResponse>& result);

// Replies of receivers are small; a larger one is a broken or hostile endpoint.
inline constexpr std::size_t kMaxReplyBytes = 64 * 1024;

// A POST of the JSON `body` to `url` (the receiver's URL, or one made from
// it) with the receiver's timeout, the reply bounded to kMaxReplyBytes, and
// the proxy chosen by select_proxy() from the receiver's `proxy` and `env`.
net::HttpRequest json_post(std::string url, std::string body, const config::Receiver& receiver,
                           const config::EnvLookup& env);

// The status a chat platform puts in its JSON reply: DingTalk and WeCom
// {"errcode":0,"errmsg":"ok"}, Feishu {"code":0,"msg":"success"}.
struct PlatformReply {
  std::int64_t code = 0;
  std::string message;  // bounded by bounded_snippet()
};
// The first of `code_keys` holding an integer (or a string of one), with the
// first of `message_keys` holding a string; nullopt when the body is not a
// JSON object with such a code.
std::optional<PlatformReply> read_platform_reply(std::string_view body,
                                                 const std::vector<std::string_view>& code_keys,
                                                 const std::vector<std::string_view>& message_keys);

// What one of a platform's reply codes means (0 always means delivered).
struct ReplyCode {
  std::int64_t code;
  DeliveryOutcome::Result result;
  std::string_view says;  // "DingTalk throttled the robot"
  std::optional<std::chrono::seconds> retry_after = std::nullopt;
};

// How a chat platform says in its JSON reply whether it took the message.
struct CodedReplies {
  std::vector<std::string_view> code_keys;     // {"errcode"}
  std::vector<std::string_view> message_keys;  // {"errmsg"}
  std::string_view code_name;                  // "errcode", as details show it
  std::string_view whose_code;                 // "DingTalk's errcode", when a reply lacks it
  std::vector<ReplyCode> known;                // codes other than 0 with a meaning of their own
  std::string_view otherwise;                  // any other code: rejected, in these words
};

// The outcome `replies` gives `res`: "errcode 0" when delivered; otherwise
// the code's words and " (errcode N: message)"; missing_platform_code() when
// the body has no code.
DeliveryOutcome read_coded_reply(const net::HttpResponse& res, const CodedReplies& replies);

// outcome_from_http() of a platform whose 2xx replies read_coded_reply() judges.
// `replies` must outlive the call.
DeliveryOutcome coded_outcome(const boost::system::result<net::HttpResponse>& result,
                              const CodedReplies& replies);

// A receiver's reply for a log line or the outbox: at most `limit` bytes,
// control characters replaced.
std::string bounded_snippet(std::string_view text, std::size_t limit = 200);

}  // namespace omswatch::notifiers
