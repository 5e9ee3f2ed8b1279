#pragma once
// Private to net/: what HttpClient::prepare() checks and serializes once, so
// that a request sent again and again (one DescribeProjectProgress per poll)
// costs a copy of a few hundred bytes, not a parse of its URL and headers.

#include <array>
#include <boost/system/result.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "net/http.h"
#include "net/url.h"

namespace omswatch::net::detail {

struct PreparedData {
  Url origin;
  std::optional<Url> proxy;  // a plain-HTTP proxy (CONNECT tunnel for HTTPS)
  std::string pool_key;      // "http://host:port", " via proxy:port" when proxied
  // The request line and every header but Content-Length, each line ending
  // in CRLF; the blank line and the body follow at each send.
  std::string head;
  // Content-Length goes out with an empty body too (POST, PUT and OPTIONS,
  // as Beast's prepare_payload does).
  bool length_when_empty = false;
  bool content_type_default = false;  // the caller set none: application/json with a body
  bool head_method = false;           // a HEAD request: the reply has no body
  bool caller_closes = false;
  std::chrono::milliseconds timeout{10'000};
  std::size_t max_response_bytes = 0;
};

// The checks of HttpClient::send(): Errc::bad_url for the URL or the proxy (a
// proxy spoken to over TLS included), Errc::bad_request for a method that is
// not a token or a header with CR, LF or NUL. Host, Content-Length and
// Transfer-Encoding of the caller are dropped (the client frames and routes);
// User-Agent is `user_agent` unless the caller set one; credentials in the
// URL become Basic Authorization unless the caller set one; Content-Type is
// application/json unless the caller set one.
boost::system::result<PreparedData> prepare_request(const HttpRequest& request,
                                                    std::string_view user_agent);

// What follows `head` for a body of `body_size` bytes: the default
// Content-Type and Content-Length when due, and the blank line.
struct Framing {
  std::array<char, 96> bytes;
  std::size_t size = 0;
  std::string_view view() const { return {bytes.data(), size}; }
};
Framing framing(const PreparedData& data, std::size_t body_size);

}  // namespace omswatch::net::detail
