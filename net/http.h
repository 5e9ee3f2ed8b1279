#pragma once
// Plain data types shared by the HTTP client and server. No Beast here: the
// machinery stays in the .cpp files so that callers compile quickly.

#include <boost/system/error_code.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace omswatch::net {

struct Header {
  std::string name;
  std::string value;
};
using Headers = std::vector<Header>;

// Case-insensitive lookup; empty when absent.
std::string_view find_header(const Headers& headers, std::string_view name);

struct HttpRequest {
  std::string method = "POST";
  std::string url;  // http://host[:port]/path?query or https://...
  Headers headers;  // Host, Content-Length and User-Agent are set by the client
  std::string body;
  std::chrono::milliseconds timeout{10'000};         // whole exchange: connect, TLS, write, read
  std::size_t max_response_bytes = 4 * 1024 * 1024;  // header + body; larger replies fail
  std::string proxy;  // "http://host:port"; empty: direct (HTTPS_PROXY/NO_PROXY are the caller's)
};

struct HttpResponse {
  unsigned status = 0;
  Headers headers;
  std::string body;
  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

// omswatch's own failures; Asio, Beast and SSL errors are passed through as they are.
enum class Errc {
  timeout = 1,         // the request's deadline passed
  response_too_large,  // over max_response_bytes
  bad_url,             // not http(s)://host[:port]/...
  proxy_refused,       // the proxy answered CONNECT with other than 2xx
  bad_request,         // a method or header the client refuses to send (CR/LF, not a token...)
};
const boost::system::error_category& net_category();
boost::system::error_code make_error_code(Errc e);

// "http://user:pw@host:8089/a?key=secret" -> "http://host:8089/a": for log lines,
// since receiver URLs often carry their token in the path or query. User info,
// query and fragment are dropped, and path segments that look like tokens (16+
// characters, or 8+ with a digit) become "***". Never fails: any input gives a
// printable single line.
std::string redact_url(std::string_view url);

}  // namespace omswatch::net

template <>
struct boost::system::is_error_code_enum<omswatch::net::Errc> : std::true_type {};
