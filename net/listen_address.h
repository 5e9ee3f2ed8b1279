#pragma once
// The address an HTTP endpoint listens on, as written in daemon.listen:
// "host:port" or "[v6]:port". Shared by the configuration check and the
// daemon's endpoint, so that check-config judges the address the daemon binds.

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/expected.h"

namespace omswatch::net {

struct ListenAddress {
  std::string host;  // without the brackets of an IPv6 literal
  std::uint16_t port = 0;
};

// "host:port" or "[v6]:port" with a port of 0..65535; nullopt for anything
// else (no port, a bare IPv6 address, spaces or control characters, '/').
std::optional<ListenAddress> split_listen(std::string_view text);

// The addresses `host` stands for: an IP literal as it is, a name through the
// system resolver (blocking). Fails with the resolver's reason.
Expected<std::vector<boost::asio::ip::address>> resolve_listen_host(const std::string& host);

// Loopback, IPv4-mapped IPv6 loopback (::ffff:127.0.0.1) included.
bool is_loopback(const boost::asio::ip::address& address);

// A bearer token fit for an Authorization header: printable ASCII without spaces.
bool is_token_text(std::string_view token);

}  // namespace omswatch::net
