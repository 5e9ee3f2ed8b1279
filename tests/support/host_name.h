#pragma once

// For the few tests that must resolve a host name rather than reach the
// loopback address (certificate name checks, SNI, name resolution itself):
// when the system cannot resolve the name, they say so instead of failing with
// a bare "Host not found". Every other test uses 127.0.0.1.

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>

#include <string>

namespace omswatch::testing {

// Success when `name` resolves to 127.0.0.1 (among its addresses); otherwise a
// failure that names what the system lacks.
inline ::testing::AssertionResult resolves_to_loopback(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &found);
  bool loopback = false;
  for (const addrinfo* a = rc == 0 ? found : nullptr; a != nullptr; a = a->ai_next) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(a->ai_addr);
    if (in->sin_addr.s_addr == htonl(INADDR_LOOPBACK)) loopback = true;
  }
  if (found != nullptr) ::freeaddrinfo(found);
  if (loopback) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "this test needs the host name \"" << name
         << "\" to resolve to 127.0.0.1, and on this system it does not ("
         << (rc != 0 ? ::gai_strerror(rc) : "other addresses only")
         << "): add the line \"127.0.0.1 " << name << "\" to /etc/hosts";
}

}  // namespace omswatch::testing
