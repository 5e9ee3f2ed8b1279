#include "common/json_text.h"

#include "common/escape.h"

namespace omswatch {

void append_json_escaped(std::string& out, std::string_view text, bool escape_slash) {
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && (c != '/' || !escape_slash)) continue;
    out.append(text.data() + plain_from, i - plain_from);
    plain_from = i + 1;
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '/':
        out += "\\/";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (const char* e = short_escape(c)) {
          out += e;
        } else {
          out += "\\u00";
          append_hex2(out, c);
        }
    }
  }
  out.append(text.data() + plain_from, text.size() - plain_from);
}

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  append_json_escaped(out, text);
  out += '"';
}

}  // namespace omswatch
