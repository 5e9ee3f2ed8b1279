#pragma once
// ASCII text helpers for protocol words (HTTP header names and values, URL
// schemes and hosts, month names, configuration keys): case folding touches
// only A-Z and a-z, whatever the C locale says, so UTF-8 bytes pass as they
// are.

#include <string>
#include <string_view>

namespace omswatch {

// `c` folded to lower (upper) case if it is an ASCII letter, else itself.
constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}
constexpr char ascii_upper(char c) {
  return (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
}

// `text` with its ASCII letters folded to lower (upper) case.
std::string ascii_lower(std::string_view text);
std::string ascii_upper(std::string_view text);

// Whether `c` is one of 0-9.
constexpr bool is_ascii_digit(char c) { return c >= '0' && c <= '9'; }

// Whether `text` is not empty and holds only 0-9.
bool all_digits(std::string_view text);

// The value of a short run of digits ("08" is 8).
// REQUIRES: all_digits(digits), at most 9 of them.
int digits_value(std::string_view digits);

// Whether `a` and `b` are the same text ignoring the case of ASCII letters.
bool iequals(std::string_view a, std::string_view b);

// Whether `text` starts with `prefix` ignoring the case of ASCII letters.
bool istarts_with(std::string_view text, std::string_view prefix);

// `text` without the spaces and tabs at either end (HTTP's optional white
// space).
std::string_view trim_blanks(std::string_view text);

// `text` without the spaces, tabs, CRs and LFs at either end.
std::string_view trim_space(std::string_view text);

}  // namespace omswatch
