#include "net/prepared_request.h"

#include <algorithm>
#include <charconv>

#include "common/ascii.h"
#include "net/internal.h"

namespace omswatch::net::detail {
namespace {

using io::is_token;

bool is_field_value(std::string_view s) {
  return std::none_of(s.begin(), s.end(),
                      [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  out += name;
  out += ": ";
  out += value;
  out += "\r\n";
}

}  // namespace

boost::system::result<PreparedData> prepare_request(const HttpRequest& request,
                                                    std::string_view user_agent) {
  PreparedData data;
  auto origin = parse_url(request.url);
  if (!origin) return origin.error();
  data.origin = std::move(*origin);
  if (!request.proxy.empty()) {
    auto parsed = parse_url(request.proxy);
    // Speaking TLS to the proxy itself is not supported.
    if (!parsed || parsed->tls) return make_error_code(Errc::bad_url);
    data.proxy = std::move(*parsed);
  }
  if (!is_token(request.method)) return make_error_code(Errc::bad_request);
  data.head_method = request.method == "HEAD";
  data.length_when_empty =
      request.method == "POST" || request.method == "PUT" || request.method == "OPTIONS";
  data.timeout = request.timeout;
  data.max_response_bytes = request.max_response_bytes;

  const Url& o = data.origin;
  std::string& head = data.head;
  head.reserve(256);
  head += request.method;
  head += ' ';
  // Through a plain-HTTP proxy the request line carries the absolute URL.
  if (data.proxy && !o.tls) {
    head += o.scheme();
    head += "://";
    head += o.authority();
  }
  head += o.target;
  head += " HTTP/1.1\r\n";
  bool has_user_agent = false, has_authorization = false, has_content_type = false;
  for (const auto& header : request.headers) {
    if (!is_token(header.name) || !is_field_value(header.value)) {
      return make_error_code(Errc::bad_request);
    }
    // Framing and routing are the client's business.
    if (iequals(header.name, "Host") || iequals(header.name, "Content-Length") ||
        iequals(header.name, "Transfer-Encoding")) {
      continue;
    }
    if (iequals(header.name, "Connection") && iequals(header.value, "close")) {
      data.caller_closes = true;
    }
    has_user_agent = has_user_agent || iequals(header.name, "User-Agent");
    has_authorization = has_authorization || iequals(header.name, "Authorization");
    has_content_type = has_content_type || iequals(header.name, "Content-Type");
    append_field(head, header.name, header.value);
  }
  append_field(head, "Host", o.authority());
  if (!has_user_agent) append_field(head, "User-Agent", user_agent);
  if (!o.userinfo.empty() && !has_authorization) {
    append_field(head, "Authorization", "Basic " + basic_credentials(o.userinfo));
  }
  if (data.proxy && !o.tls && !data.proxy->userinfo.empty()) {
    append_field(head, "Proxy-Authorization", "Basic " + basic_credentials(data.proxy->userinfo));
  }
  if (!has_content_type) data.content_type_default = true;

  data.pool_key = std::string(o.scheme()) + "://" + o.host_port();
  if (data.proxy) data.pool_key += " via " + data.proxy->host_port();
  return data;
}

Framing framing(const PreparedData& data, std::size_t body_size) {
  Framing f;
  auto append = [&](std::string_view text) {
    std::copy(text.begin(), text.end(), f.bytes.begin() + f.size);
    f.size += text.size();
  };
  if (body_size != 0 && data.content_type_default) append("Content-Type: application/json\r\n");
  if (body_size != 0 || data.length_when_empty) {
    append("Content-Length: ");
    char* begin = f.bytes.data() + f.size;
    auto [end, ec] = std::to_chars(begin, f.bytes.data() + f.bytes.size(), body_size);
    f.size += static_cast<std::size_t>(end - begin);
    append("\r\n");
  }
  append("\r\n");
  return f;
}

}  // namespace omswatch::net::detail
