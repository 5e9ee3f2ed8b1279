#include "common/escape.h"

#include "common/utf8.h"

namespace omswatch {
namespace {

constexpr char kHex[] = "0123456789abcdef";

bool is_escaped_code_point(char32_t cp) {
  return cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x200E || cp == 0x200F ||
         cp == 0x2028 || cp == 0x2029 || (cp >= 0x202A && cp <= 0x202E) ||
         (cp >= 0x2066 && cp <= 0x2069);
}

void append_byte_escape(std::string& out, unsigned char c) {
  if (const char* e = short_escape(c)) {
    out += e;
    return;
  }
  out += "\\x";
  append_hex2(out, c);
}

void append_code_point_escape(std::string& out, char32_t cp) {
  out += "\\u{";
  bool started = false;
  for (int shift = 20; shift >= 0; shift -= 4) {
    const auto digit = static_cast<unsigned>((cp >> shift) & 0xF);
    if (digit == 0 && !started && shift > 0) continue;
    started = true;
    out += kHex[digit];
  }
  out += '}';
}

}  // namespace

const char* short_escape(unsigned char c) {
  switch (c) {
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      return nullptr;
  }
}

void append_hex2(std::string& out, unsigned char c) {
  out += kHex[c >> 4];
  out += kHex[c & 0xF];
}

bool needs_escaping(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0 || is_escaped_code_point(utf8_decode(text, i, n))) return true;
    i += n;
  }
  return false;
}

std::string escape_controls(std::string_view text) {
  if (!needs_escaping(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    const std::size_t n = utf8_sequence_length(text, i);
    if (n == 0) {
      append_byte_escape(out, c);
      ++i;
      continue;
    }
    const char32_t cp = utf8_decode(text, i, n);
    if (n == 1 && is_escaped_code_point(cp)) {
      append_byte_escape(out, c);
    } else if (is_escaped_code_point(cp)) {
      append_code_point_escape(out, cp);
    } else {
      out.append(text.substr(i, n));
    }
    i += n;
  }
  return out;
}

}  // namespace omswatch
