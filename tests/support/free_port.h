#pragma once
// Loopback ports for servers the test does not create itself (a child
// process that is told its port): bound to port 0, read, released.

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <list>
#include <vector>

namespace omswatch::testing {

inline std::uint16_t free_port() {
  boost::asio::io_context ioc;
  boost::asio::ip::tcp::acceptor a(
      ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// `n` different free ports: all are held until each is read.
inline std::vector<std::uint16_t> free_ports(std::size_t n) {
  boost::asio::io_context ioc;
  std::list<boost::asio::ip::tcp::acceptor> held;
  std::vector<std::uint16_t> ports;
  for (std::size_t i = 0; i < n; ++i) {
    held.emplace_back(
        ioc, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
    ports.push_back(held.back().local_endpoint().port());
  }
  return ports;
}

}  // namespace omswatch::testing
