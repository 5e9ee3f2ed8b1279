#include "net/http_server.h"

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <exception>
#include <limits>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "common/ascii.h"
#include "net/internal.h"

namespace omswatch::net {
namespace {

using namespace io;  // NOLINT(google-build-using-namespace): net's own names

// After refusing a request the server still reads (and discards) what the
// client keeps sending, for a short while, so that closing the socket does
// not reset the connection before the client has read the refusal.
constexpr std::chrono::seconds kLingerTime{2};
constexpr std::size_t kLingerBytes = 4 * 1024 * 1024;

// A request that does not parse (as opposed to one cut short by EOF, a reset
// or the read timeout) deserves a 400 before the connection is closed.
bool is_malformed(const error_code& ec) {
  return ec.category() == make_error_code(http::error::bad_target).category() &&
         ec != http::error::end_of_stream && ec != http::error::partial_message &&
         ec != http::error::need_more;
}

bool is_field_value(std::string_view s) {
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

struct Session {
  std::uint64_t id = 0;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;
  // Bound to the session's coroutine: stop() emits on it so that a handler
  // waiting on a timer or on I/O is woken.
  asio::cancellation_signal cancel;
  // Since when the session waits for a request or reads one (or drains a
  // refusal); nullopt while a whole request is handled and answered. The longest waiting one makes
  // room for a new connection when the server is full.
  std::optional<std::chrono::steady_clock::time_point> waiting_since;

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }
  void close() {
    error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }
};

http::response<http::string_body> plain_reply(http::status status, std::string body,
                                              unsigned version) {
  http::response<http::string_body> reply{status, version};
  reply.set(http::field::content_type, "text/plain; charset=utf-8");
  reply.keep_alive(false);
  reply.body() = std::move(body);
  reply.prepare_payload();
  return reply;
}

// The handler's answer as it goes on the wire. Headers that cannot be sent
// (CR/LF in a value, a name that is not a token) are dropped rather than
// letting a handler split the response; framing headers are computed here.
http::response<http::string_body> to_wire(ServerResponse response, unsigned version,
                                          bool keep_alive, bool head) {
  http::response<http::string_body> reply;
  reply.version(version);
  // An interim (1xx) status cannot end an exchange.
  if (response.status < 200 || response.status > 999) {
    reply.result(http::status::internal_server_error);
    reply.body() = "handler returned an invalid status code";
    reply.set(http::field::content_type, "text/plain; charset=utf-8");
  } else {
    reply.result(response.status);
    if (!response.content_type.empty() && is_field_value(response.content_type)) {
      reply.set(http::field::content_type, response.content_type);
    }
    for (const auto& header : response.headers) {
      if (!is_token(header.name) || !is_field_value(header.value)) continue;
      if (iequals(header.name, "Content-Length") || iequals(header.name, "Transfer-Encoding") ||
          iequals(header.name, "Connection")) {
        if (iequals(header.name, "Connection") && iequals(header.value, "close")) {
          keep_alive = false;
        }
        continue;
      }
      reply.insert(header.name, header.value);
    }
    // These statuses have no body by definition (and Beast refuses to frame one).
    if (response.status != 204 && response.status != 304) {
      reply.body() = std::move(response.body);
    }
  }
  reply.keep_alive(keep_alive);
  reply.prepare_payload();
  if (head) reply.body().clear();  // Content-Length stays that of the GET answer
  return reply;
}

}  // namespace

struct HttpServer::Impl : std::enable_shared_from_this<Impl> {
  Impl(asio::any_io_executor ex, Handler h, HttpServerOptions opts)
      : executor(std::move(ex)),
        handler(std::move(h)),
        options(std::move(opts)),
        acceptor(executor) {}

  asio::any_io_executor executor;
  Handler handler;
  HttpServerOptions options;
  tcp::acceptor acceptor;
  std::optional<ssl::context> tls;
  std::map<std::uint64_t, std::weak_ptr<Session>> sessions;
  std::uint64_t next_session_id = 0;
  bool stopped = false;
  std::atomic<std::uint16_t> port{0};
  std::atomic<std::size_t> requests_served{0};

  static asio::awaitable<void> accept_loop(std::shared_ptr<Impl> self);
  static asio::awaitable<void> run_session(std::shared_ptr<Impl> self,
                                           std::shared_ptr<Session> session);
  template <class Stream>
  static asio::awaitable<void> serve(Impl& self, Session& session, Stream& stream);
  template <class Stream>
  static asio::awaitable<void> refuse(Impl& self, Session& session, Stream& stream,
                                      http::response<http::string_body> reply);

  void start_session(tcp::socket socket);
  // Closes the session that has waited longest for a request; false when
  // every session is busy with one.
  bool evict_longest_waiting();
  void do_stop();
};

bool HttpServer::Impl::evict_longest_waiting() {
  std::shared_ptr<Session> longest;
  for (auto& [id, weak] : sessions) {
    auto session = weak.lock();
    if (!session || !session->waiting_since) continue;
    if (!longest || *session->waiting_since < *longest->waiting_since) longest = session;
  }
  if (!longest) return false;
  sessions.erase(longest->id);
  longest->cancel.emit(asio::cancellation_type::terminal);
  longest->close();
  return true;
}

void HttpServer::Impl::do_stop() {
  if (stopped) return;
  stopped = true;
  error_code ignored;
  acceptor.close(ignored);
  std::vector<std::shared_ptr<Session>> open;
  for (auto& [id, weak] : sessions) {
    if (auto session = weak.lock()) open.push_back(std::move(session));
  }
  for (auto& session : open) {
    session->cancel.emit(asio::cancellation_type::terminal);
    session->close();
  }
}

void HttpServer::Impl::start_session(tcp::socket socket) {
  auto session = std::make_shared<Session>();
  session->id = ++next_session_id;
  session->waiting_since = std::chrono::steady_clock::now();
  session->plain = std::make_unique<beast::tcp_stream>(std::move(socket));
  error_code ignored;
  session->plain->socket().set_option(tcp::no_delay(true), ignored);
  if (tls) {
    session->secure =
        std::make_unique<beast::ssl_stream<beast::tcp_stream>>(std::move(*session->plain), *tls);
    session->plain.reset();
  }
  sessions.emplace(session->id, session);
  auto slot = session->cancel.slot();
  // The signal must outlive the coroutine's use of its slot, which ends only
  // when the completion handler has run: the handler keeps the session.
  asio::co_spawn(executor, run_session(shared_from_this(), session),
                 asio::bind_cancellation_slot(slot, [session](std::exception_ptr) {}));
}

asio::awaitable<void> HttpServer::Impl::accept_loop(std::shared_ptr<Impl> self) {
  while (!self->stopped) {
    auto [ec, socket] = co_await self->acceptor.async_accept(kNoThrow);
    if (self->stopped) co_return;
    if (ec) {
      if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) co_return;
      // Out of descriptors or a connection reset before accept: back off a
      // little instead of spinning on the same error.
      asio::steady_timer pause(self->executor, std::chrono::milliseconds(50));
      co_await pause.async_wait(kNoThrow);
      continue;
    }
    if (self->sessions.size() >= self->options.max_connections && !self->evict_longest_waiting()) {
      error_code ignored;
      socket.close(ignored);
      continue;
    }
    self->start_session(std::move(socket));
  }
}

asio::awaitable<void> HttpServer::Impl::run_session(std::shared_ptr<Impl> self,
                                                    std::shared_ptr<Session> session) {
  try {
    if (session->secure) {
      auto& stream = *session->secure;
      beast::get_lowest_layer(stream).expires_after(self->options.read_timeout);
      auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kNoThrow);
      if (!ec) co_await serve(*self, *session, stream);
    } else {
      co_await serve(*self, *session, *session->plain);
    }
  } catch (...) {
    // Cancelled by stop() (the coroutine throws once cancelled) or a broken
    // peer: either way the connection is over.
  }
  session->close();
  self->sessions.erase(session->id);
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::refuse(Impl& self, Session& session, Stream& stream,
                                               http::response<http::string_body> reply) {
  session.tcp().expires_after(self.options.read_timeout);
  auto [write_ec, written] = co_await http::async_write(stream, reply, kNoThrow);
  if (write_ec) co_return;
  error_code ignored;
  session.tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
  session.tcp().expires_after(kLingerTime);
  session.waiting_since = std::chrono::steady_clock::now();
  std::size_t drained = 0;
  std::vector<char> scratch(16 * 1024);
  while (drained < kLingerBytes && !self.stopped) {
    auto [read_ec, n] = co_await session.tcp().async_read_some(asio::buffer(scratch), kNoThrow);
    if (read_ec) break;
    drained += n;
  }
}

template <class Stream>
asio::awaitable<void> HttpServer::Impl::serve(Impl& self, Session& session, Stream& stream) {
  const std::size_t max_bytes = self.options.max_request_bytes;
  auto too_large = [&](unsigned version) {
    return plain_reply(http::status::payload_too_large,
                       "request larger than " + std::to_string(max_bytes) + " bytes\n", version);
  };

  while (!self.stopped) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(clamp_limit(max_bytes));
    parser.body_limit(max_bytes);

    session.tcp().expires_after(self.options.read_timeout);
    if (!session.waiting_since) session.waiting_since = std::chrono::steady_clock::now();
    auto [header_ec, header_bytes] =
        co_await http::async_read_header(stream, session.buffer, parser, kNoThrow);
    // body_limit here: the declared Content-Length alone is over the bound.
    if (header_ec == http::error::header_limit || header_ec == http::error::body_limit ||
        (!header_ec && header_bytes >= max_bytes)) {
      co_await refuse(self, session, stream, too_large(11));
      co_return;
    }
    if (header_ec) {
      if (is_malformed(header_ec)) {
        co_await refuse(self, session, stream,
                        plain_reply(http::status::bad_request, "malformed request\n", 11));
      }
      co_return;
    }
    const unsigned version = parser.get().version();
    parser.body_limit(max_bytes - header_bytes);

    if (iequals(parser.get()[http::field::expect], "100-continue")) {
      http::response<http::empty_body> go_on{http::status::continue_, version};
      auto [continue_ec, n] = co_await http::async_write(stream, go_on, kNoThrow);
      if (continue_ec) co_return;
    }

    auto [body_ec, body_bytes] =
        co_await http::async_read(stream, session.buffer, parser, kNoThrow);
    session.waiting_since.reset();  // a whole request arrived: busy until answered
    if (body_ec == http::error::body_limit) {
      co_await refuse(self, session, stream, too_large(version));
      co_return;
    }
    if (body_ec) {
      if (is_malformed(body_ec)) {
        co_await refuse(self, session, stream,
                        plain_reply(http::status::bad_request, "malformed request\n", version));
      }
      co_return;
    }
    if (self.stopped) co_return;

    auto message = parser.release();
    const bool keep_alive = message.keep_alive();
    const bool head = message.method() == http::verb::head;
    ServerRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
    }
    request.body = std::move(message.body());

    // The handler may take as long as it likes (the simulator hangs on
    // purpose); only stop() interrupts it.
    session.tcp().expires_never();
    ServerResponse response;
    bool handler_failed = false;
    try {
      if (!self.handler) throw std::bad_function_call();
      response = co_await self.handler(std::move(request));
    } catch (...) {
      handler_failed = true;
    }
    if (self.stopped) co_return;
    if (handler_failed) {
      response = ServerResponse{};
      response.status = 500;
      response.content_type = "text/plain; charset=utf-8";
      response.body = "internal error\n";
    }
    if (response.drop_connection) co_return;

    auto reply = to_wire(std::move(response), version, keep_alive, head);
    const bool stay_open = reply.keep_alive();
    session.tcp().expires_after(self.options.read_timeout);
    auto [write_ec, written] = co_await http::async_write(stream, reply, kNoThrow);
    if (write_ec) co_return;
    ++self.requests_served;
    if (!stay_open) {
      error_code ignored;
      session.tcp().socket().shutdown(tcp::socket::shutdown_send, ignored);
      co_return;
    }
  }
}

HttpServer::HttpServer(asio::any_io_executor executor, Handler handler, HttpServerOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(handler), std::move(options))) {}

HttpServer::~HttpServer() {
  // At once on the executor's thread; from any other (a test thread while an
  // IoThread runs the executor) it is posted, which is safe because the Impl
  // travels with it.
  asio::dispatch(impl_->executor, [impl = impl_] { impl->do_stop(); });
}

void HttpServer::listen(const std::string& host, std::uint16_t port) {
  auto& self = *impl_;
  if (self.stopped) throw std::logic_error("HttpServer::listen after stop()");
  const std::string where = host + ":" + std::to_string(port);

  if (!self.options.tls_cert_file.empty() || !self.options.tls_key_file.empty()) {
    ssl::context context(ssl::context::tls_server);
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    error_code ec;
    context.use_certificate_chain_file(self.options.tls_cert_file, ec);
    if (ec) {
      throw boost::system::system_error(
          ec, "cannot load TLS certificate " + self.options.tls_cert_file);
    }
    context.use_private_key_file(self.options.tls_key_file, ssl::context::pem, ec);
    if (ec) {
      throw boost::system::system_error(ec, "cannot load TLS key " + self.options.tls_key_file);
    }
    self.tls.emplace(std::move(context));
  }

  error_code ec;
  auto address = asio::ip::make_address(host, ec);
  tcp::endpoint endpoint;
  if (!ec) {
    endpoint = tcp::endpoint(address, port);
  } else {
    // Start-up only: a blocking lookup of a name like "localhost" is fine here.
    tcp::resolver resolver(self.executor);
    auto results = resolver.resolve(host, std::to_string(port), ec);
    if (ec || results.empty()) {
      throw boost::system::system_error(ec ? ec : asio::error::host_not_found,
                                        "cannot resolve listen address " + where);
    }
    endpoint = results.begin()->endpoint();
  }

  auto check = [&](const char* step) {
    if (ec) throw boost::system::system_error(ec, std::string(step) + " " + where);
  };
  self.acceptor.open(endpoint.protocol(), ec);
  check("cannot open a socket for");
  self.acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  check("cannot set SO_REUSEADDR on");
  self.acceptor.bind(endpoint, ec);
  check("cannot bind");
  self.acceptor.listen(asio::socket_base::max_listen_connections, ec);
  check("cannot listen on");
  self.port = self.acceptor.local_endpoint().port();
  asio::co_spawn(self.executor, Impl::accept_loop(impl_),
                 [end = self.options.on_accept_loop_end](std::exception_ptr error) {
                   if (end) end(error);
                 });
}

std::uint16_t HttpServer::port() const { return impl_->port; }

std::size_t HttpServer::requests_served() const { return impl_->requests_served; }

void HttpServer::stop() { impl_->do_stop(); }

}  // namespace omswatch::net
