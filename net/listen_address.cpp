#include "net/listen_address.h"

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <charconv>

namespace omswatch::net {

namespace asio = boost::asio;

std::optional<ListenAddress> split_listen(std::string_view text) {
  std::string_view host, port;
  if (text.starts_with('[')) {
    const std::size_t close = text.find("]:");
    if (close == std::string_view::npos) return std::nullopt;
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const std::size_t colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) return std::nullopt;
  }
  const bool bad_host = host.empty() || host.find('/') != std::string_view::npos ||
                        std::any_of(host.begin(), host.end(), [](char ch) {
                          const auto c = static_cast<unsigned char>(ch);
                          return c <= 0x20 || c == 0x7f;
                        });
  unsigned value = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (bad_host || port.empty() || port.size() > 5 || port.front() == '+' || ec != std::errc() ||
      end != port.data() + port.size() || value > 65535) {
    return std::nullopt;
  }
  return ListenAddress{std::string(host), static_cast<std::uint16_t>(value)};
}

Expected<std::vector<asio::ip::address>> resolve_listen_host(const std::string& host) {
  boost::system::error_code ec;
  if (auto literal = asio::ip::make_address(host, ec); !ec) return std::vector{literal};
  asio::io_context io;
  asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(host, "", ec);
  if (ec || results.empty()) return make_error(ec ? ec.message() : "no address");
  std::vector<asio::ip::address> addresses;
  for (const auto& r : results) addresses.push_back(r.endpoint().address());
  return addresses;
}

bool is_loopback(const asio::ip::address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, a.to_v6()).is_loopback();
  }
  return a.is_loopback();
}

bool is_token_text(std::string_view token) {
  return std::all_of(token.begin(), token.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

}  // namespace omswatch::net
