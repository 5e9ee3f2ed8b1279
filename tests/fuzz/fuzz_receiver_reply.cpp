// Fuzzes how each receiver type reads the reply to its POST
// (notifiers/http_outcome.h): the input is a receiver type and an HTTP reply
// written as text, so that seeds are readable and easy to add:
//
//   d200                    first byte: w webhook, s slack, d dingtalk, f feishu,
//   Retry-After: 30           c wecom, t teams, a alertmanager (others: by value);
//                           then the status (not a number: a transport failure),
//   {"errcode":0}           header lines up to an empty line, and the body.
//
// Besides the sanitizers' findings, it stops on a broken promise: a delivery
// from other than 2xx or a failed exchange, a detail that is long or carries
// control characters (it goes to logs and the outbox), a Retry-After on an
// outcome that is not retried or past a day.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <string>
#include <string_view>

#include "net/http.h"
#include "notifiers/http_outcome.h"

namespace {

using omswatch::net::HttpResponse;
using omswatch::notifiers::DeliveryOutcome;
using Reader = DeliveryOutcome (*)(const boost::system::result<HttpResponse>&);

// The longest detail a reader writes: its own words, the status and two
// bounded snippets (200 bytes each) of what the receiver said.
constexpr std::size_t kMaxDetail = 1024;

[[noreturn]] void broken(const char* what, const DeliveryOutcome& o) {
  std::fprintf(stderr, "broken promise: %s (result %d, detail %zu bytes)\n", what,
               static_cast<int>(o.result), o.detail.size());
  std::abort();
}

Reader reader_for(std::uint8_t c) {
  namespace n = omswatch::notifiers;
  switch (c) {
    case 'w':
      return n::webhook_outcome;
    case 's':
      return n::slack_outcome;
    case 'd':
      return n::dingtalk_outcome;
    case 'f':
      return n::feishu_outcome;
    case 'c':
      return n::wecom_outcome;
    case 't':
      return n::teams_outcome;
    case 'a':
      return n::alertmanager_outcome;
  }
  constexpr Reader kAll[] = {n::webhook_outcome,     n::slack_outcome, n::dingtalk_outcome,
                             n::feishu_outcome,      n::wecom_outcome, n::teams_outcome,
                             n::alertmanager_outcome};
  return kAll[c % std::size(kAll)];
}

std::string_view next_line(std::string_view& text) {
  auto end = text.find('\n');
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  if (line.ends_with('\r')) line.remove_suffix(1);
  return line;
}

boost::system::result<HttpResponse> reply_from(std::string_view text) {
  std::string_view status = next_line(text);
  unsigned code = 0;
  if (status.empty() || status.size() > 9 ||
      status.find_first_not_of("0123456789") != std::string_view::npos) {
    if (status == "too large") return make_error_code(omswatch::net::Errc::response_too_large);
    if (status == "refused") return make_error_code(boost::system::errc::connection_refused);
    return make_error_code(omswatch::net::Errc::timeout);
  }
  for (char c : status) code = code * 10 + static_cast<unsigned>(c - '0');
  HttpResponse res;
  res.status = code;
  while (!text.empty()) {
    std::string_view line = next_line(text);
    if (line.empty()) break;
    auto colon = line.find(':');
    std::string_view name = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? "" : line.substr(colon + 1);
    while (value.starts_with(' ')) value.remove_prefix(1);
    res.headers.push_back({std::string(name), std::string(value)});
  }
  res.body = std::string(text);
  return res;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  // Replies are bounded by the client (kMaxReplyBytes); larger ones never reach a reader.
  if (size > omswatch::notifiers::kMaxReplyBytes) return 0;
  const Reader read = reader_for(data[0]);
  const auto reply =
      reply_from(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  const DeliveryOutcome o = read(reply);

  using R = DeliveryOutcome::Result;
  if (o.result == R::delivered && (!reply || reply->status < 200 || reply->status > 299)) {
    broken("delivered without a 2xx reply", o);
  }
  if (!reply && o.result != R::retry) broken("a failed exchange not retried", o);
  if (o.result == R::deferred) broken("a reply read as deferred (only senders defer)", o);
  if (o.detail.size() > kMaxDetail) broken("a long detail", o);
  for (char c : o.detail) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) broken("a control character", o);
  }
  if (o.retry_after) {
    if (o.result != R::retry) broken("Retry-After on an outcome that is not retried", o);
    if (o.retry_after->count() < 0 || o.retry_after->count() > 24 * 3600) {
      broken("Retry-After outside 0..1 day", o);
    }
  }
  return 0;
}
