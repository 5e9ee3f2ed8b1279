#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/result.hpp>
#include <chrono>
#include <memory>
#include <string>

#include "net/http.h"

namespace omswatch::net {

struct HttpClientOptions {
  // Extra PEM trust anchors, added to the system trust store (used by tests
  // with a CA made at test time). Empty: the system store alone.
  std::string extra_ca_file;
  std::size_t max_idle_per_host = 16;
  std::chrono::seconds idle_timeout{50};
  std::string user_agent = "omswatch";
};

namespace detail {
struct PreparedData;
}

// A request checked and serialized once by HttpClient::prepare(), to be sent
// any number of times with a body of its own each time: for requests that
// differ only in their body (the OMS client's calls, one per poll). Cheap to
// copy; immutable. Default-constructed: empty, not to be sent.
class PreparedRequest {
 public:
  PreparedRequest() = default;
  explicit operator bool() const { return data_ != nullptr; }

 private:
  friend class HttpClient;
  explicit PreparedRequest(std::shared_ptr<const detail::PreparedData> data)
      : data_(std::move(data)) {}
  std::shared_ptr<const detail::PreparedData> data_;
};

// Async HTTP/1.1 client on one executor (not thread-safe: use it from the
// io_context thread that owns it). Keeps idle keep-alive connections per
// scheme+host+port and reuses them; HTTPS verifies the certificate chain and
// the host name and sends SNI. Never throws for network failures: they come
// back as the error of the result.
class HttpClient {
 public:
  explicit HttpClient(boost::asio::any_io_executor executor, HttpClientOptions options = {});
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  boost::asio::awaitable<boost::system::result<HttpResponse>> send(HttpRequest request);

  // Checks `request` (its body is ignored) as send() would, and serializes
  // its request line and headers: the errors send() would give for it
  // (Errc::bad_url, Errc::bad_request) come back here instead.
  boost::system::result<PreparedRequest> prepare(const HttpRequest& request) const;
  // The same exchange as send() of the request `prepared` was made from,
  // carrying `body`: the same bytes on the wire, pooling, retry and deadline.
  boost::asio::awaitable<boost::system::result<HttpResponse>> send(PreparedRequest prepared,
                                                                   std::string body);

  // Connections opened since construction (a reuse does not count), counted
  // once established (after the TLS handshake for HTTPS).
  std::size_t connections_opened() const;
  std::size_t idle_connections() const;
  void close_idle();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace omswatch::net
