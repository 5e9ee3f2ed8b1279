#include "notifiers/http_outcome.h"

#include <boost/json.hpp>
#include <charconv>

#include "notifiers/proxy.h"

namespace omswatch::notifiers {

std::string bounded_snippet(std::string_view text, std::size_t limit) {
  std::string out;
  out.reserve(std::min(text.size(), limit) + 3);
  for (char c : text.substr(0, limit)) {
    out.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? ' ' : c);
  }
  if (text.size() > limit) out += "...";
  return out;
}

boost::system::result<net::HttpResponse> scrubbed(boost::system::result<net::HttpResponse> result,
                                                  const Redactor& redact) {
  if (!result || redact.empty()) return result;
  result->body = redact(result->body);
  for (auto& header : result->headers) header.value = redact(header.value);
  return result;
}

net::HttpRequest json_post(std::string url, std::string body, const config::Receiver& receiver,
                           const config::EnvLookup& env) {
  net::HttpRequest req;
  req.method = "POST";
  req.proxy = select_proxy(url, receiver.proxy, env);
  req.url = std::move(url);
  req.timeout = receiver.timeout;
  req.max_response_bytes = kMaxReplyBytes;
  req.body = std::move(body);
  req.headers.push_back({"Content-Type", "application/json"});
  return req;
}

std::optional<PlatformReply> read_platform_reply(
    std::string_view body, const std::vector<std::string_view>& code_keys,
    const std::vector<std::string_view>& message_keys) {
  boost::system::error_code ec;
  auto v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return std::nullopt;
  const auto& o = v.as_object();
  std::optional<PlatformReply> reply;
  for (auto key : code_keys) {
    const auto* c = o.if_contains(key);
    if (!c) continue;
    if (c->is_int64()) {
      reply = PlatformReply{c->as_int64(), {}};
    } else if (c->is_string()) {
      std::int64_t n = 0;
      std::string_view s = c->as_string();
      auto [p, err] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (err == std::errc() && p == s.data() + s.size()) reply = PlatformReply{n, {}};
    }
    if (reply) break;
  }
  if (!reply) return std::nullopt;
  for (auto key : message_keys) {
    if (const auto* m = o.if_contains(key); m && m->is_string()) {
      reply->message = bounded_snippet(m->as_string());
      break;
    }
  }
  return reply;
}

namespace {

std::optional<std::chrono::seconds> parse_retry_after(std::string_view value) {
  // Only the delta-seconds form; an HTTP-date falls back to our own backoff.
  long long secs = 0;
  auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), secs);
  if (ec != std::errc() || p != value.data() + value.size() || secs < 0) return std::nullopt;
  return std::chrono::seconds(std::min<long long>(secs, 24 * 3600));
}

}  // namespace

DeliveryOutcome read_coded_reply(const net::HttpResponse& res, const CodedReplies& replies) {
  auto reply = read_platform_reply(res.body, replies.code_keys, replies.message_keys);
  if (!reply) return missing_platform_code(res, replies.whose_code);
  const std::string code = std::string(replies.code_name) + " " + std::to_string(reply->code);
  if (reply->code == 0) return {DeliveryOutcome::Result::delivered, code, std::nullopt};
  const std::string told = " (" + code + ": " + reply->message + ")";
  for (const auto& known : replies.known) {
    if (known.code == reply->code) {
      return {known.result, std::string(known.says) + told, known.retry_after};
    }
  }
  return {DeliveryOutcome::Result::rejected, std::string(replies.otherwise) + told, std::nullopt};
}

DeliveryOutcome coded_outcome(const boost::system::result<net::HttpResponse>& result,
                              const CodedReplies& replies) {
  return outcome_from_http(
      result, [&replies](const net::HttpResponse& r) -> std::optional<DeliveryOutcome> {
        auto outcome = read_coded_reply(r, replies);
        if (outcome.result == DeliveryOutcome::Result::delivered) {
          return std::nullopt;
        }
        return outcome;
      });
}

DeliveryOutcome missing_platform_code(const net::HttpResponse& res, std::string_view what) {
  return {DeliveryOutcome::Result::retry,
          "HTTP " + std::to_string(res.status) + " without " + std::string(what) + ": " +
              bounded_snippet(res.body),
          std::nullopt};
}

DeliveryOutcome outcome_from_http(const boost::system::result<net::HttpResponse>& result,
                                  const PlatformCheck& check) {
  DeliveryOutcome out;
  if (!result) {
    out.result = DeliveryOutcome::Result::retry;
    out.detail = result.error().message();
    return out;
  }
  const auto& res = *result;
  if (res.status >= 200 && res.status < 300) {
    if (check) {
      if (auto failure = check(res)) return *failure;
    }
    out.result = DeliveryOutcome::Result::delivered;
    out.detail = "HTTP " + std::to_string(res.status);
    return out;
  }
  out.detail = "HTTP " + std::to_string(res.status);
  if (!res.body.empty()) out.detail += ": " + bounded_snippet(res.body);
  if (res.status == 408 || res.status == 429 || res.status >= 500) {
    out.result = DeliveryOutcome::Result::retry;
    out.retry_after = parse_retry_after(res.header("Retry-After"));
  } else {
    out.result = DeliveryOutcome::Result::rejected;
  }
  return out;
}

}  // namespace omswatch::notifiers
