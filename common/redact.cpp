#include "common/redact.h"

#include <algorithm>
#include <cctype>

#include "common/ascii.h"
#include "common/base64.h"
#include "common/json_text.h"
#include "common/percent.h"

namespace omswatch {
namespace {

// The length of the text at `text[at]` that spells `needle` with any of
// its bytes percent-encoded (%2d or %2D, even where no encoding is needed)
// and its spaces as '+', or 0.
std::size_t match_at(std::string_view text, std::size_t at, std::string_view needle) {
  std::size_t i = at;
  for (char want : needle) {
    if (i >= text.size()) return 0;
    if (text[i] == want) {
      ++i;
    } else if (want == ' ' && text[i] == '+') {
      ++i;
    } else if (text[i] == '%' && i + 2 < text.size() && hex_value(text[i + 1]) >= 0 &&
               hex_value(text[i + 2]) >= 0 &&
               static_cast<char>(hex_value(text[i + 1]) * 16 + hex_value(text[i + 2])) == want) {
      i += 3;
    } else {
      return 0;
    }
  }
  return i - at;
}

// The text of `s` inside a JSON string as the common encoders write it.
std::string json_escaped(std::string_view s, bool escape_slash) {
  std::string out;
  append_json_escaped(out, s, escape_slash);
  return out;
}

bool names_a_credential(std::string_view key) {
  const std::string lower = ascii_lower(key);
  for (std::string_view word : {"token", "key", "secret", "sig", "pass", "auth", "code", "cred"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

bool looks_like_token(std::string_view segment) {
  if (segment.size() >= 16) return true;
  return segment.size() >= 8 &&
         std::any_of(segment.begin(), segment.end(), [](char c) { return is_ascii_digit(c); });
}

std::vector<std::string> url_secrets(std::string_view url) {
  std::vector<std::string> out;
  std::string_view rest = url;
  if (auto sep = rest.find("://"); sep != std::string_view::npos) rest.remove_prefix(sep + 3);
  const auto authority_end = rest.find_first_of("/?#");
  const std::string_view authority = rest.substr(0, authority_end);
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    out.emplace_back(userinfo);
    out.push_back(percent_decode(userinfo, false));
    if (auto colon = userinfo.find(':'); colon != std::string_view::npos) {
      out.emplace_back(userinfo.substr(colon + 1));
      out.push_back(percent_decode(userinfo.substr(colon + 1), false));
    }
  }
  if (authority_end == std::string_view::npos) return out;
  rest.remove_prefix(authority_end);
  rest = rest.substr(0, rest.find('#'));
  const auto query_begin = rest.find('?');
  std::string_view path = rest.substr(0, query_begin);
  while (!path.empty()) {
    const auto end = path.find('/');
    const std::string_view segment = path.substr(0, end);
    if (looks_like_token(segment)) {
      out.emplace_back(segment);
      out.push_back(percent_decode(segment, false));
    }
    if (end == std::string_view::npos) break;
    path.remove_prefix(end + 1);
  }
  if (query_begin == std::string_view::npos) return out;
  std::string_view query = rest.substr(query_begin + 1);
  while (!query.empty()) {
    const auto end = query.find('&');
    const std::string_view pair = query.substr(0, end);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos) {
      const std::string_view value = pair.substr(eq + 1);
      if (looks_like_token(value) || names_a_credential(pair.substr(0, eq))) {
        out.emplace_back(value);
        out.push_back(percent_decode(value, true));
      }
    }
    if (end == std::string_view::npos) break;
    query.remove_prefix(end + 1);
  }
  return out;
}

Redactor::Redactor(const std::vector<std::string>& secrets) {
  for (const auto& s : secrets) add(s);
}

void Redactor::add(std::string_view secret) {
  if (secret.size() < kMinRedactedBytes) return;
  // The characters of the base64 that depend on the secret's bytes alone:
  // inside a longer text ("user:password" followed by more) the last,
  // partial group is encoded with the bytes that follow.
  std::string base64 = base64_encode(secret);
  base64.resize(secret.size() / 3 * 4 + secret.size() % 3);
  for (std::string form : {std::string(secret), json_escaped(secret, false),
                           json_escaped(secret, true), std::move(base64)}) {
    if (form.size() < kMinRedactedBytes) continue;
    if (std::find(needles_.begin(), needles_.end(), form) == needles_.end()) {
      needles_.push_back(std::move(form));
    }
  }
  for (const auto& needle : needles_) {
    starts_[static_cast<unsigned char>(needle.front())] = true;
    if (needle.front() == ' ') starts_['+'] = true;
  }
  starts_['%'] = true;
  std::stable_sort(needles_.begin(), needles_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::size_t Redactor::match_length(std::string_view text, std::size_t i) const {
  if (!starts_[static_cast<unsigned char>(text[i])]) return 0;
  for (const auto& needle : needles_) {
    // The longest at i; shorter ones lie inside it.
    if (const std::size_t n = match_at(text, i, needle); n > 0) return n;
  }
  return 0;
}

std::string Redactor::operator()(std::string_view text) const {
  std::string out(text);
  mask(out);
  return out;
}

void Redactor::mask(std::string& text) const {
  if (needles_.empty()) return;
  std::size_t first = 0;
  while (first < text.size() && match_length(text, first) == 0) ++first;
  if (first == text.size()) return;
  // Every byte inside any occurrence first, then each run of them masked
  // as one: overlapping secrets leave no part of either visible.
  std::vector<bool> covered(text.size(), false);
  for (std::size_t i = first; i < text.size(); ++i) {
    if (const std::size_t n = match_length(text, i); n > 0) {
      std::fill(covered.begin() + static_cast<std::ptrdiff_t>(i),
                covered.begin() + static_cast<std::ptrdiff_t>(i + n), true);
    }
  }
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!covered[i]) {
      out += text[i];
    } else if (i == 0 || !covered[i - 1]) {
      out += kRedacted;
    }
  }
  text = std::move(out);
}

}  // namespace omswatch
