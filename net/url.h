#pragma once
// Private to net/ (and config/, which checks each URL with it where it is
// written): the small URL grammar omswatch accepts for HTTP(S) requests and proxies. Not a general URI parser: http and https only, no
// relative references, nothing that could smuggle bytes into a request line.

#include <boost/system/result.hpp>
#include <cstdint>
#include <string>
#include <string_view>

namespace omswatch::net::detail {

struct Url {
  bool tls = false;           // https
  std::string userinfo;       // as written (percent-encoded); empty when absent
  std::string host;           // lower case; an IPv6 literal without its brackets
  bool ipv6_literal = false;  // host came in brackets
  std::uint16_t port = 0;     // explicit, else 80 / 443
  std::string target;         // path and query, never empty; the fragment is dropped

  std::string_view scheme() const { return tls ? "https" : "http"; }
  // host[:port] as it goes into a Host header: the port only when not the default.
  std::string authority() const;
  // host:port, always with the port (CONNECT targets, pool keys).
  std::string host_port() const;
};

// Fails with Errc::bad_url on anything else than
// http(s)://[userinfo@]host[:port][/path][?query][#frag] with a non-empty host, a port in 1..65535,
// and no control characters or spaces anywhere.
boost::system::result<Url> parse_url(std::string_view text);

// "user:pa%20ss" -> base64("user:pa ss"), the credentials of a Basic Authorization header.
std::string basic_credentials(std::string_view userinfo);

}  // namespace omswatch::net::detail
