#include "net/url.h"

#include <algorithm>
#include <boost/asio/ip/address_v6.hpp>
#include <cctype>

#include "common/ascii.h"
#include "common/base64.h"
#include "common/percent.h"
#include "net/http.h"

namespace omswatch::net::detail {
namespace {

// Longer URLs are not something a configuration or an OMS would produce, and a request line of
// that size would be refused by most servers anyway.
constexpr std::size_t kMaxUrlLength = 8192;

bool is_host_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == '~';
}

}  // namespace

std::string Url::authority() const {
  std::string out = ipv6_literal ? "[" + host + "]" : host;
  if (port != (tls ? 443 : 80)) out += ":" + std::to_string(port);
  return out;
}

std::string Url::host_port() const {
  return (ipv6_literal ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

boost::system::result<Url> parse_url(std::string_view text) {
  const boost::system::error_code bad = make_error_code(Errc::bad_url);
  if (text.empty() || text.size() > kMaxUrlLength) return bad;
  // Spaces and control characters would end up in the request line or the Host header.
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return bad;
  }

  Url url;
  auto scheme_end = text.find("://");
  if (scheme_end == std::string_view::npos) return bad;
  std::string_view scheme = text.substr(0, scheme_end);
  if (iequals(scheme, "https")) {
    url.tls = true;
  } else if (!iequals(scheme, "http")) {
    return bad;
  }
  std::string_view rest = text.substr(scheme_end + 3);

  auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  std::string_view tail =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);

  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    url.userinfo = std::string(authority.substr(0, at));
    authority = authority.substr(at + 1);
  }

  std::string_view port_text;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad;
    std::string literal(authority.substr(1, close - 1));
    boost::system::error_code ec;
    boost::asio::ip::make_address_v6(literal, ec);
    // A zone id ("%25eth0") would be valid in a URL but means nothing to a remote Host header.
    if (ec || literal.find('%') != std::string::npos) return bad;
    url.host = literal;
    url.ipv6_literal = true;
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad;
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    auto colon = authority.find(':');
    std::string_view host = authority.substr(0, colon);
    if (colon != std::string_view::npos) {
      port_text = authority.substr(colon + 1);
      has_port = true;
    }
    if (host.empty() || !std::all_of(host.begin(), host.end(), is_host_char)) return bad;
    url.host = std::string(host);
  }
  url.host = ascii_lower(url.host);

  url.port = url.tls ? 443 : 80;
  if (has_port && !port_text.empty()) {
    if (port_text.size() > 5) return bad;
    unsigned value = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9') return bad;
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return bad;
    url.port = static_cast<std::uint16_t>(value);
  }

  tail = tail.substr(0, tail.find('#'));
  if (tail.empty() || tail.front() == '?') {
    url.target = "/" + std::string(tail);
  } else {
    url.target = std::string(tail);
  }
  return url;
}

std::string basic_credentials(std::string_view userinfo) {
  auto colon = userinfo.find(':');
  std::string plain = percent_decode(userinfo.substr(0, colon));
  plain += ':';
  if (colon != std::string_view::npos) plain += percent_decode(userinfo.substr(colon + 1));
  return base64_encode(plain);
}

}  // namespace omswatch::net::detail
