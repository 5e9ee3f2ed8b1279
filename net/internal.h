#pragma once
// Names shared by the HTTP client and server implementations (net/'s own
// .cpp files; not part of net's interface).

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>

namespace omswatch::net::io {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using boost::system::error_code;

// co_await ... (kNoThrow) yields a tuple with the error code instead of throwing.
inline constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// `n` as a Beast parser limit (32 bits), the largest limit when it does not fit.
inline std::uint32_t clamp_limit(std::size_t n) {
  return static_cast<std::uint32_t>(
      std::min<std::size_t>(n, std::numeric_limits<std::uint32_t>::max()));
}

// RFC 9110 token characters: what a method or a header name may consist of.
inline bool is_token(std::string_view s) {
  static constexpr std::string_view kSpecials = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) ||
           kSpecials.find(c) != std::string_view::npos;
  });
}

}  // namespace omswatch::net::io
