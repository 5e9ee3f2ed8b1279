#pragma once
// Masking configured secrets in text that comes from outside.
//
// A receiver or a proxy in front of it may answer an error with the request
// it got (URL, headers, body); an OMS may put the credentials it was sent in
// a success:false message. Such text is scrubbed where it enters omswatch
// (the OMS client's errors and messages, each receiver's reply), so that
// logs, the database, the HTTP API and the CLI only ever see it masked.

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace omswatch {

// What a masked secret is replaced with.
inline constexpr std::string_view kRedacted = "***";

// Secrets shorter than this are not masked: masking "abc" would mangle
// every word it occurs in and hide nothing worth hiding.
inline constexpr std::size_t kMinRedactedBytes = 4;

// A path segment or query value that looks like a credential rather than a
// name: webhook URLs carry tokens in the path (Slack, Feishu, Teams) or the
// query (DingTalk's access_token, WeCom's key), and such values are long
// (16 bytes or more) or mix digits into 8 or more, unlike "api", "v2",
// "services" or "send".
bool looks_like_token(std::string_view segment);

// The secrets a URL carries: its user info (as written, percent-decoded, the
// password alone), its path segments that look_like_token(), and its query
// values that look like tokens or whose key names a credential (token, key,
// secret, sig, password, auth, ...). Lenient: works on any text with
// "scheme://" or without it.
std::vector<std::string> url_secrets(std::string_view url);

class Redactor {
 public:
  Redactor() = default;  // masks nothing
  // Masks each of `secrets` (those shorter than kMinRedactedBytes are left
  // out) in every form it may come back in: as it is, escaped as in a JSON
  // string, base64-encoded (as in a Basic Authorization header: add
  // "user:password" as a secret for that), and each of these with any of
  // its bytes percent-encoded (either case, needed or not) and spaces as '+'.
  explicit Redactor(const std::vector<std::string>& secrets);

  // Adds `secret` and its forms.
  void add(std::string_view secret);

  // `text` with every occurrence of any form of any secret replaced by
  // kRedacted; occurrences that overlap or touch become one kRedacted, so
  // that no part of any shows.
  std::string operator()(std::string_view text) const;
  // The same, in place: `text` is left alone (not copied) when no secret
  // occurs in it, which is almost always.
  void mask(std::string& text) const;

  bool empty() const { return needles_.empty(); }

 private:
  // The length of the longest form of a secret that starts at text[i], or 0.
  std::size_t match_length(std::string_view text, std::size_t i) const;

  std::vector<std::string> needles_;  // longest first
  // The bytes a match can start with: each needle's first, '%' (an encoded
  // byte) and '+' (an encoded space). Most bytes of a text are none of them.
  std::array<bool, 256> starts_{};
};

}  // namespace omswatch
