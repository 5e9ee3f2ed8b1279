#pragma once
// How an HTTP exchange with a receiver turns into a DeliveryOutcome. Private to notifiers/.

#include <functional>
#include <optional>

#include <boost/system/result.hpp>

#include "net/http.h"
#include "notifiers/sender.h"

namespace omswatch::notifiers {

// Reads a 2xx reply's body for the platform's own success signal (DingTalk's
// errcode, Slack's "ok"); nullopt when the platform says it accepted the message.
using PlatformCheck = std::function<std::optional<DeliveryOutcome>(const net::HttpResponse&)>;

// Transport failures, 408, 429 and 5xx are worth a retry (honouring Retry-After);
// other non-2xx answers are final rejections.
DeliveryOutcome outcome_from_http(const boost::system::result<net::HttpResponse>& result,
                                  const PlatformCheck& check);

// A receiver's reply for a log line or the outbox: at most `limit` bytes,
// control characters replaced.
std::string bounded_snippet(std::string_view text, std::size_t limit = 200);

}  // namespace omswatch::notifiers
