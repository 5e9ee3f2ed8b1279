#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string>

#include "net/http.h"

namespace omswatch::net {

struct ServerRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/api/v2?Action=DescribeProjectProgress"
  Headers headers;
  std::string body;
  std::string_view header(std::string_view name) const { return find_header(headers, name); }
};

struct ServerResponse {
  unsigned status = 200;
  std::string content_type = "application/json";
  Headers headers;
  std::string body;
  // Fault injection for tests and the simulator: close the connection
  // without writing any reply.
  bool drop_connection = false;
};

using Handler = std::function<boost::asio::awaitable<ServerResponse>(ServerRequest)>;

struct HttpServerOptions {
  std::size_t max_request_bytes = 1024 * 1024;  // header + body; larger: 413 and close
  std::chrono::seconds read_timeout{30};        // per request, idle keep-alive included
  // At the limit, a new connection takes the place of the open one that has
  // waited longest for a request (idle keep-alive, a request that is slow to
  // arrive, or a refusal being drained): slow or silent clients cannot lock
  // out a health check. When every open connection is busy with a request,
  // the new one is closed at once.
  std::size_t max_connections = 1024;
  // PEM files; when both are set the server speaks HTTPS only (tests, local
  // endpoints). listen() throws when they cannot be loaded.
  std::string tls_cert_file;  // the certificate chain, leaf first
  std::string tls_key_file;
  // Called when the accept loop ends, with the exception that ended it (null
  // when it ended normally: stop(), or the listener closed). The daemon logs
  // it, and stops on an exception (daemon/loop_end.h); empty: ignored.
  std::function<void(std::exception_ptr)> on_accept_loop_end;
};

// Small async HTTP/1.1 server (keep-alive, one handler for all targets) on one
// executor. Used by the OMS simulator, the fake receivers of the tests and
// the daemon's metrics endpoint.
class HttpServer {
 public:
  HttpServer(boost::asio::any_io_executor executor, Handler handler,
             HttpServerOptions options = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds host:port (port 0 picks a free one) and starts accepting.
  // Throws boost::system::system_error when the address cannot be bound.
  void listen(const std::string& host, std::uint16_t port);
  std::uint16_t port() const;

  // Responses written since construction (drop_connection and refused
  // requests do not count).
  std::size_t requests_served() const;

  // Stops accepting and closes every open connection; handlers still
  // running are cancelled (terminal cancellation, so a handler waiting on a
  // timer wakes up) and their responses are not sent. Safe to call more than
  // once. The object may be destroyed right after while the executor keeps
  // running: what is still in flight holds its own state.
  // REQUIRES: called on the thread that runs the executor, or while no thread
  // runs it (like every Asio object; from elsewhere, post it). The destructor
  // has no such requirement: off the executor's thread it posts the stop.
  void stop();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace omswatch::net
