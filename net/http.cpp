#include "net/http.h"

#include <algorithm>
#include <cctype>

#include "common/ascii.h"
#include "common/redact.h"

namespace omswatch::net {
namespace {

class NetCategory : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "omswatch.net"; }
  std::string message(int value) const override {
    switch (static_cast<Errc>(value)) {
      case Errc::timeout:
        return "the request's deadline passed";
      case Errc::response_too_large:
        return "the response is larger than the allowed size";
      case Errc::bad_url:
        return "not an http(s)://host[:port]/path URL";
      case Errc::proxy_refused:
        return "the proxy refused the CONNECT tunnel";
      case Errc::bad_request:
        return "the request has a method or header that cannot be sent";
    }
    return "unknown omswatch.net error";
  }
};

// Log lines must stay single-line and printable whatever the input was.
void append_printable(std::string& out, std::string_view text, std::size_t max_length) {
  for (std::size_t i = 0; i < text.size() && i < max_length; ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    out.push_back(c <= 0x20 || c >= 0x7f ? '?' : static_cast<char>(c));
  }
  if (text.size() > max_length) out += "...";
}

}  // namespace

std::string_view find_header(const Headers& headers, std::string_view name) {
  for (const auto& header : headers) {
    if (iequals(header.name, name)) return header.value;
  }
  return {};
}

const boost::system::error_category& net_category() {
  static const NetCategory category;
  return category;
}

boost::system::error_code make_error_code(Errc e) { return {static_cast<int>(e), net_category()}; }

std::string redact_url(std::string_view url) {
  // Deliberately lenient: the URLs worth logging are often the ones that did
  // not parse, and they must not leak their secrets either.
  std::string out;
  std::string_view rest = url;
  if (auto sep = url.find("://"); sep != std::string_view::npos && sep > 0 && sep <= 16 &&
                                  std::all_of(url.begin(), url.begin() + sep, [](unsigned char c) {
                                    return std::isalpha(c) != 0;
                                  })) {
    out += ascii_lower(url.substr(0, sep));
    out += "://";
    rest = url.substr(sep + 3);
  }

  auto authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    authority = authority.substr(at + 1);
  }
  append_printable(out, authority, 256);

  if (authority_end == std::string_view::npos) return out;
  std::string_view path = rest.substr(authority_end);
  path = path.substr(0, path.find_first_of("?#"));
  constexpr std::size_t kMaxSegments = 16;
  std::size_t segments = 0;
  while (!path.empty()) {
    // path starts with '/' here
    path.remove_prefix(1);
    auto end = path.find('/');
    std::string_view segment = path.substr(0, end);
    out.push_back('/');
    if (++segments > kMaxSegments) {
      out += "...";
      break;
    }
    if (looks_like_token(segment)) {
      out += "***";
    } else {
      append_printable(out, segment, 64);
    }
    if (end == std::string_view::npos) break;
    path = path.substr(end);
  }
  return out;
}

}  // namespace omswatch::net
