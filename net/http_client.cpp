#include "net/http_client.h"

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <cerrno>
#include <limits>
#include <list>
#include <tuple>
#include <type_traits>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "net/internal.h"
#include "net/prepared_request.h"
#include "net/url.h"

namespace omswatch::net {
namespace {

using namespace io;  // NOLINT(google-build-using-namespace): net's own names
using Clock = std::chrono::steady_clock;
// A proxy's answer to CONNECT is a status line and a few headers.
constexpr std::uint32_t kMaxConnectReplyBytes = 16 * 1024;
// Interim (1xx) responses tolerated before the real one; more is a broken server.
constexpr int kMaxInterimResponses = 8;

// One connection to an origin (or to the proxy that tunnels to it). Exactly one
// of plain/secure is set once connected.
struct Connection {
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> secure;
  beast::flat_buffer buffer;

  beast::tcp_stream& tcp() { return secure ? beast::get_lowest_layer(*secure) : *plain; }

  // No TLS close_notify: the peer learns from the TCP close, and waiting for
  // its answer would only delay a caller whose deadline may be gone already.
  void close() {
    error_code ignored;
    tcp().socket().shutdown(tcp::socket::shutdown_both, ignored);
    tcp().socket().close(ignored);
  }

  // An idle HTTP/1.1 connection receives nothing; readable data or EOF means
  // the server is closing it (or sent garbage), so it must not be reused.
  // `probe` false skips the system call (see kProbeIdleAfter).
  bool looks_alive(bool probe) {
    auto& socket = tcp().socket();
    if (!socket.is_open() || buffer.size() != 0) return false;
    if (!probe) return true;
    char byte;
    ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

// A pooled connection idle for less than this is reused without asking the
// kernel whether the server has closed it (a recv on every reuse, the most
// frequent system call of a daemon polling at full speed): servers close idle
// keep-alive connections after seconds, not milliseconds. If one was closed
// anyway, the request fails before any byte of a response arrives and is sent
// again once on a fresh connection (the retry rule in send()).
constexpr Clock::duration kProbeIdleAfter = std::chrono::seconds(1);

struct Exchange {
  error_code ec;
  bool got_response_bytes = false;
  bool keep_alive = false;
  HttpResponse response;
};

error_code make_net_error(Errc e) { return make_error_code(e); }

}  // namespace

struct HttpClient::Impl : std::enable_shared_from_this<HttpClient::Impl> {
  Impl(asio::any_io_executor ex, HttpClientOptions opts)
      : executor(std::move(ex)), options(std::move(opts)) {
    // A CA file of the configuration is checked at once, so a wrong path
    // stops the start; otherwise the context waits for the first HTTPS URL.
    if (!options.extra_ca_file.empty()) tls_context();
  }

  // The TLS context, made at the first HTTPS connection: OpenSSL's context
  // loads every cipher of its provider, megabytes of memory that a client
  // speaking plain HTTP only (OMS on a private network) never needs.
  ssl::context& tls_context() {
    if (tls) return *tls;
    ssl::context& context = tls.emplace(ssl::context::tls_client);
    context.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                        ssl::context::no_tlsv1_1);
    if (!options.extra_ca_file.empty()) {
      error_code ec;
      context.load_verify_file(options.extra_ca_file, ec);
      if (ec) {
        tls.reset();
        throw boost::system::system_error(ec, "cannot load CA file " + options.extra_ca_file);
      }
    }
    context.set_verify_mode(ssl::verify_peer);
    return context;
  }

  struct IdleConnection {
    std::unique_ptr<Connection> connection;
    Clock::time_point since;
  };

  asio::any_io_executor executor;
  HttpClientOptions options;
  std::optional<ssl::context> tls;  // tls_context()
  std::unordered_map<std::string, std::vector<IdleConnection>> idle;  // oldest first
  std::size_t connections_opened = 0;
  bool closed = false;
  // Reading the system trust store takes tens of milliseconds; a client
  // that never speaks HTTPS (tests, the simulator) should not pay for it.
  bool system_roots_loaded = false;

  // Exchanges on plain connections, with their deadlines. One timer, armed
  // at the earliest deadline, closes the connections whose deadline passed:
  // a Beast stream's own timeout would arm and cancel a timer (and run its
  // cancelled handler) at every read and write, several times a request.
  struct InFlight {
    Connection* connection;
    Clock::time_point deadline;
  };
  std::list<InFlight> in_flight;
  asio::steady_timer deadline_timer{executor};
  Clock::time_point timer_expiry = Clock::time_point::max();  // max: not armed
  std::uint64_t timer_generation = 0;

  std::list<InFlight>::iterator watch(Connection& connection, Clock::time_point deadline) {
    auto it = in_flight.insert(in_flight.end(), {&connection, deadline});
    if (deadline < timer_expiry) arm(deadline);
    return it;
  }

  void unwatch(std::list<InFlight>::iterator it) {
    in_flight.erase(it);
    // No exchange left: a pending wait would keep the io_context busy.
    if (in_flight.empty() && timer_expiry != Clock::time_point::max()) {
      timer_expiry = Clock::time_point::max();
      ++timer_generation;
      deadline_timer.cancel();
    }
  }

  void arm(Clock::time_point at) {
    timer_expiry = at;
    deadline_timer.expires_at(at);
    deadline_timer.async_wait(
        [weak = weak_from_this(), generation = ++timer_generation](error_code) {
          auto self = weak.lock();
          if (self && generation == self->timer_generation) self->sweep();
        });
  }

  // Closes the connections past their deadline: their exchange fails and
  // classify() calls it a timeout.
  void sweep() {
    timer_expiry = Clock::time_point::max();
    const auto now = Clock::now();
    auto next = Clock::time_point::max();
    for (auto& f : in_flight) {
      if (f.deadline <= now) {
        f.connection->close();
      } else {
        next = std::min(next, f.deadline);
      }
    }
    if (next != Clock::time_point::max()) arm(next);
  }

  static asio::awaitable<boost::system::result<HttpResponse>> send(
      std::shared_ptr<Impl> self, std::shared_ptr<const detail::PreparedData> prepared,
      std::string body);

  void prune_idle() {
    auto oldest_allowed = Clock::now() - options.idle_timeout;
    for (auto it = idle.begin(); it != idle.end();) {
      auto& list = it->second;
      auto fresh = std::find_if(list.begin(), list.end(),
                                [&](const IdleConnection& c) { return c.since > oldest_allowed; });
      for (auto stale = list.begin(); stale != fresh; ++stale) stale->connection->close();
      list.erase(list.begin(), fresh);
      it = list.empty() ? idle.erase(it) : std::next(it);
    }
  }

  std::unique_ptr<Connection> take_idle(const std::string& key) {
    prune_idle();
    const auto now = Clock::now();
    auto it = idle.find(key);
    if (it == idle.end()) return nullptr;
    auto& list = it->second;
    std::unique_ptr<Connection> found;
    while (!list.empty() && !found) {
      auto candidate = std::move(list.back().connection);
      const bool probe = now - list.back().since >= kProbeIdleAfter;
      list.pop_back();
      if (candidate->looks_alive(probe)) {
        found = std::move(candidate);
      } else {
        candidate->close();
      }
    }
    if (list.empty()) idle.erase(it);
    return found;
  }

  void put_idle(const std::string& key, std::unique_ptr<Connection> connection) {
    if (closed || options.max_idle_per_host == 0) {
      connection->close();
      return;
    }
    auto& list = idle[key];
    list.push_back({std::move(connection), Clock::now()});
    while (list.size() > options.max_idle_per_host) {
      list.front().connection->close();
      list.erase(list.begin());
    }
    prune_idle();
  }

  void close_idle() {
    for (auto& [key, list] : idle) {
      for (auto& c : list) c.connection->close();
    }
    idle.clear();
  }

  asio::awaitable<boost::system::result<std::vector<tcp::endpoint>>> resolve(
      const detail::Url& where, Clock::time_point deadline);
  asio::awaitable<boost::system::result<std::unique_ptr<Connection>>> connect(
      const detail::Url& origin, const detail::Url* proxy, Clock::time_point deadline);
  asio::awaitable<error_code> open_tunnel(beast::tcp_stream& stream, beast::flat_buffer& buffer,
                                          const detail::Url& origin, const detail::Url& proxy);
  template <class Stream>
  static asio::awaitable<Exchange> exchange(Stream& stream, beast::flat_buffer& buffer,
                                            const std::array<asio::const_buffer, 3>& request,
                                            bool head_method, std::size_t max_response_bytes);
};

namespace {

// The whole-exchange deadline turns whatever error the interrupted step
// reported (aborted, reset, TLS truncation...) into Errc::timeout.
error_code classify(error_code ec, Clock::time_point deadline) {
  if (ec == beast::error::timeout || Clock::now() >= deadline) return make_net_error(Errc::timeout);
  if (ec == http::error::body_limit || ec == http::error::header_limit ||
      ec == http::error::buffer_overflow) {
    return make_net_error(Errc::response_too_large);
  }
  return ec;
}

}  // namespace

asio::awaitable<boost::system::result<std::vector<tcp::endpoint>>> HttpClient::Impl::resolve(
    const detail::Url& where, Clock::time_point deadline) {
  error_code ec;
  auto address = asio::ip::make_address(where.host, ec);
  if (!ec) co_return std::vector<tcp::endpoint>{tcp::endpoint(address, where.port)};

  // getaddrinfo runs on a private thread and cannot be interrupted: a stuck
  // DNS server would hold the caller past its deadline if the coroutine
  // awaited the resolver itself. So the lookup completes into shared state
  // that outlives this coroutine, and the coroutine waits on a timer that the
  // lookup cancels when it is done.
  struct Lookup {
    explicit Lookup(const asio::any_io_executor& ex) : resolver(ex), wake(ex) {}
    tcp::resolver resolver;
    asio::steady_timer wake;
    bool done = false;
    error_code ec;
    tcp::resolver::results_type results;
  };
  auto lookup = std::make_shared<Lookup>(executor);
  lookup->wake.expires_at(deadline);
  lookup->resolver.async_resolve(where.host, std::to_string(where.port),
                                 [lookup](error_code ec, tcp::resolver::results_type results) {
                                   lookup->done = true;
                                   lookup->ec = ec;
                                   lookup->results = std::move(results);
                                   lookup->wake.cancel();
                                 });
  auto [wait_ec] = co_await lookup->wake.async_wait(kNoThrow);
  if (!lookup->done) {
    lookup->resolver.cancel();
    co_return wait_ec == asio::error::operation_aborted ? wait_ec : make_net_error(Errc::timeout);
  }
  if (lookup->ec) co_return lookup->ec;
  std::vector<tcp::endpoint> endpoints;
  for (const auto& entry : lookup->results) endpoints.push_back(entry.endpoint());
  if (endpoints.empty()) co_return error_code(asio::error::host_not_found);
  co_return endpoints;
}

asio::awaitable<error_code> HttpClient::Impl::open_tunnel(beast::tcp_stream& stream,
                                                          beast::flat_buffer& buffer,
                                                          const detail::Url& origin,
                                                          const detail::Url& proxy) {
  http::request<http::empty_body> request{http::verb::connect, origin.host_port(), 11};
  request.set(http::field::host, origin.host_port());
  request.set(http::field::user_agent, options.user_agent);
  if (!proxy.userinfo.empty()) {
    request.set(http::field::proxy_authorization,
                "Basic " + detail::basic_credentials(proxy.userinfo));
  }
  auto [write_ec, written] = co_await http::async_write(stream, request, kNoThrow);
  if (write_ec) co_return write_ec;

  http::response_parser<http::empty_body> parser;
  parser.header_limit(kMaxConnectReplyBytes);
  // A 2xx answer to CONNECT has no body: what follows is the tunnel.
  parser.skip(true);
  auto [read_ec, read] = co_await http::async_read_header(stream, buffer, parser, kNoThrow);
  if (read_ec) co_return read_ec;
  auto status = parser.get().result_int();
  // Bytes after the reply would have to come from the origin, which has not
  // been spoken to yet.
  if (status < 200 || status > 299 || buffer.size() != 0) {
    co_return make_net_error(Errc::proxy_refused);
  }
  co_return error_code{};
}

asio::awaitable<boost::system::result<std::unique_ptr<Connection>>> HttpClient::Impl::connect(
    const detail::Url& origin, const detail::Url* proxy, Clock::time_point deadline) {
  const detail::Url& first_hop = proxy ? *proxy : origin;
  auto endpoints = co_await resolve(first_hop, deadline);
  if (!endpoints) co_return endpoints.error();

  auto connection = std::make_unique<Connection>();
  connection->plain = std::make_unique<beast::tcp_stream>(executor);
  connection->plain->expires_at(deadline);
  auto [connect_ec, endpoint] = co_await connection->plain->async_connect(*endpoints, kNoThrow);
  if (connect_ec) co_return connect_ec;
  error_code ignored;
  connection->plain->socket().set_option(tcp::no_delay(true), ignored);

  if (proxy && origin.tls) {
    auto tunnel_ec = co_await open_tunnel(*connection->plain, connection->buffer, origin, *proxy);
    if (tunnel_ec) {
      connection->close();
      co_return tunnel_ec;
    }
  }
  if (origin.tls) {
    ssl::context& context = tls_context();
    if (!system_roots_loaded) {
      system_roots_loaded = true;
      error_code no_system_store;  // then only extra_ca_file is trusted
      context.set_default_verify_paths(no_system_store);
    }
    connection->secure = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(
        std::move(*connection->plain), context);
    connection->plain.reset();
    auto& stream = *connection->secure;
    error_code address_ec;
    asio::ip::make_address(origin.host, address_ec);
    // SNI carries host names only; an IP literal is checked against the
    // certificate's IP addresses by host_name_verification.
    if (address_ec && !SSL_set_tlsext_host_name(stream.native_handle(), origin.host.c_str())) {
      co_return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    }
    stream.set_verify_mode(ssl::verify_peer);
    stream.set_verify_callback(ssl::host_name_verification(origin.host));
    auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, kNoThrow);
    if (handshake_ec) {
      connection->close();
      co_return handshake_ec;
    }
  }
  ++connections_opened;
  co_return std::move(connection);
}

template <class Stream>
asio::awaitable<Exchange> HttpClient::Impl::exchange(
    Stream& stream, beast::flat_buffer& buffer, const std::array<asio::const_buffer, 3>& request,
    bool head_method, std::size_t max_response_bytes) {
  Exchange result;
  // The head, its framing and the body in one gathered write; on a plain
  // connection first without waiting (a request fits the socket's buffer),
  // which spares the completion a trip through the scheduler's queue.
  beast::buffers_suffix<std::array<asio::const_buffer, 3>> unsent(request);
  if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
    error_code ec;
    // Set once per connection: setting it is a system call even when it is set.
    if (!stream.socket().non_blocking()) stream.socket().non_blocking(true, ec);
    if (!ec) unsent.consume(stream.socket().write_some(unsent, ec));
    if (ec && ec != asio::error::would_block && ec != asio::error::try_again) {
      result.ec = ec;
      co_return result;
    }
  }
  if (beast::buffer_bytes(unsent) != 0) {
    auto [write_ec, written] = co_await asio::async_write(stream, unsent, kNoThrow);
    if (write_ec) {
      result.ec = write_ec;
      co_return result;
    }
  }

  for (int interim = 0;; ++interim) {
    http::response_parser<http::string_body> parser;
    parser.header_limit(clamp_limit(max_response_bytes));
    parser.body_limit(max_response_bytes);
    if (head_method) parser.skip(true);

    auto [header_ec, header_bytes] =
        co_await http::async_read_header(stream, buffer, parser, kNoThrow);
    result.got_response_bytes =
        result.got_response_bytes || parser.got_some() || buffer.size() != 0;
    if (header_ec) {
      result.ec = header_ec;
      co_return result;
    }
    if (header_bytes >= max_response_bytes) {
      result.ec = make_net_error(Errc::response_too_large);
      co_return result;
    }
    parser.body_limit(max_response_bytes - header_bytes);

    // The body usually came in with the header: parsed here, without an
    // operation that would complete through the scheduler's queue.
    error_code body_ec;
    while (!parser.is_done() && buffer.size() != 0) {
      const std::size_t used = parser.put(buffer.data(), body_ec);
      buffer.consume(used);
      if (body_ec == http::error::need_more) {
        body_ec = {};
        break;
      }
      if (body_ec || used == 0) break;
    }
    if (!body_ec && !parser.is_done()) {
      std::tie(body_ec, std::ignore) = co_await http::async_read(stream, buffer, parser, kNoThrow);
    }
    if (body_ec == ssl::error::stream_truncated && parser.is_header_done() && parser.need_eof()) {
      // A server that ends a close-delimited body without close_notify; the
      // same as a plain EOF for this kind of body.
      body_ec = {};
      parser.put_eof(body_ec);
    }
    if (body_ec) {
      result.ec = body_ec;
      co_return result;
    }

    auto& message = parser.get();
    unsigned status = message.result_int();
    if (status >= 100 && status < 200 && status != 101) {
      if (interim + 1 >= kMaxInterimResponses) {
        result.ec = http::error::bad_status;
        co_return result;
      }
      continue;
    }
    result.keep_alive = message.keep_alive() && !parser.need_eof();
    result.response.status = status;
    for (const auto& field : message) {
      result.response.headers.push_back(
          {std::string(field.name_string()), std::string(field.value())});
    }
    result.response.body = std::move(message.body());
    co_return result;
  }
}

asio::awaitable<boost::system::result<HttpResponse>> HttpClient::Impl::send(
    std::shared_ptr<Impl> self, std::shared_ptr<const detail::PreparedData> prepared,
    std::string body) {
  const detail::PreparedData& request = *prepared;
  const auto deadline = Clock::now() + request.timeout;
  const detail::Framing framing = detail::framing(request, body.size());
  const std::array<asio::const_buffer, 3> bytes = {
      asio::buffer(request.head), asio::buffer(framing.view()), asio::buffer(body)};
  const detail::Url& origin = request.origin;
  const detail::Url* proxy = request.proxy ? &*request.proxy : nullptr;
  const std::string& pool_key = request.pool_key;

  // A reused connection may have been closed by the server just before the
  // request went out (or while it sat in the pool for less than
  // kProbeIdleAfter, unprobed): when the exchange on a reused connection fails
  // before any byte of a response arrived, and not by the deadline or a
  // cancellation, the request is sent once more on a fresh connection. A
  // server that received the request and closed without answering may thus
  // see it twice: harmless for omswatch's OMS calls (reads such as
  // DescribeProjectProgress, a POST that changes nothing) and for
  // notifications (receivers get at-least-once delivery with an event id).
  for (int attempt = 0;; ++attempt) {
    std::unique_ptr<Connection> connection;
    if (attempt == 0) connection = self->take_idle(pool_key);
    const bool reused = connection != nullptr;
    if (!connection) {
      auto opened = co_await self->connect(origin, proxy, deadline);
      if (!opened) co_return classify(opened.error(), deadline);
      connection = std::move(*opened);
    }

    Exchange outcome;
    if (connection->secure) {
      connection->tcp().expires_at(deadline);
      outcome = co_await exchange(*connection->secure, connection->buffer, bytes,
                                  request.head_method, request.max_response_bytes);
    } else {
      // The client's deadline timer, not the stream's (see InFlight).
      connection->tcp().expires_never();
      struct Watch {
        Impl& impl;
        std::list<InFlight>::iterator it;
        ~Watch() { impl.unwatch(it); }
      } watch{*self, self->watch(*connection, deadline)};
      outcome = co_await exchange(*connection->plain, connection->buffer, bytes,
                                  request.head_method, request.max_response_bytes);
    }
    if (outcome.ec) {
      connection->close();
      auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
      bool retry = reused && attempt == 0 && !outcome.got_response_bytes &&
                   cancelled == asio::cancellation_type::none &&
                   outcome.ec != beast::error::timeout && Clock::now() < deadline;
      if (retry) continue;
      co_return classify(outcome.ec, deadline);
    }
    connection->tcp().expires_never();
    if (outcome.keep_alive && !request.caller_closes) {
      self->put_idle(pool_key, std::move(connection));
    } else {
      connection->close();
    }
    co_return std::move(outcome.response);
  }
}

HttpClient::HttpClient(asio::any_io_executor executor, HttpClientOptions options)
    : impl_(std::make_shared<Impl>(std::move(executor), std::move(options))) {}

HttpClient::~HttpClient() {
  // Exchanges still running keep the Impl alive; they must not park their
  // connections in a pool nobody will use again.
  impl_->closed = true;
  impl_->close_idle();
}

asio::awaitable<boost::system::result<HttpResponse>> HttpClient::send(HttpRequest request) {
  auto prepared = detail::prepare_request(request, impl_->options.user_agent);
  if (!prepared) co_return prepared.error();
  co_return co_await Impl::send(
      impl_, std::make_shared<const detail::PreparedData>(std::move(*prepared)),
      std::move(request.body));
}

boost::system::result<PreparedRequest> HttpClient::prepare(const HttpRequest& request) const {
  auto prepared = detail::prepare_request(request, impl_->options.user_agent);
  if (!prepared) return prepared.error();
  return PreparedRequest(std::make_shared<const detail::PreparedData>(std::move(*prepared)));
}

asio::awaitable<boost::system::result<HttpResponse>> HttpClient::send(PreparedRequest prepared,
                                                                      std::string body) {
  return Impl::send(impl_, std::move(prepared.data_), std::move(body));
}

std::size_t HttpClient::connections_opened() const { return impl_->connections_opened; }

std::size_t HttpClient::idle_connections() const {
  std::size_t n = 0;
  for (const auto& [key, list] : impl_->idle) n += list.size();
  return n;
}

void HttpClient::close_idle() { impl_->close_idle(); }

}  // namespace omswatch::net
