#include "ingest/kineto/json_string.h"

#include <cstdint>

#include "util/utf8_cut.h"

namespace infertrace::kineto {

namespace {

// The four hex digits at raw[i..i+4) as a number, or -1.
int32_t hex4(std::string_view raw, size_t i) {
  if (i + 4 > raw.size()) return -1;
  int32_t v = 0;
  for (size_t k = i; k < i + 4; ++k) {
    const char c = raw[k];
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else return -1;
    v = v * 16 + d;
  }
  return v;
}

constexpr uint32_t kReplacement = 0xFFFD;

}  // namespace

bool unescape_json_string(std::string_view raw, std::string& out, size_t& replaced) {
  out.clear();
  out.reserve(raw.size());
  replaced = 0;
  for (size_t i = 0; i < raw.size();) {
    if (raw[i] != '\\') {
      out += raw[i++];
      continue;
    }
    if (i + 1 >= raw.size()) return false;
    const char e = raw[i + 1];
    i += 2;
    switch (e) {
      case '"': out += '"'; continue;
      case '\\': out += '\\'; continue;
      case '/': out += '/'; continue;
      case 'b': out += '\b'; continue;
      case 'f': out += '\f'; continue;
      case 'n': out += '\n'; continue;
      case 'r': out += '\r'; continue;
      case 't': out += '\t'; continue;
      case 'u': break;
      default: return false;
    }
    const int32_t u = hex4(raw, i);
    if (u < 0) return false;
    i += 4;
    if (u >= 0xD800 && u <= 0xDBFF) {
      // A high surrogate: with a low one right after it, the two are one character.
      const int32_t lo = i + 1 < raw.size() && raw[i] == '\\' && raw[i + 1] == 'u' ? hex4(raw, i + 2) : -1;
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        append_utf8(0x10000 + ((static_cast<uint32_t>(u) - 0xD800) << 10) + (static_cast<uint32_t>(lo) - 0xDC00), out);
        i += 6;
      } else {
        append_utf8(kReplacement, out), ++replaced;  // the escape after it, if any, is read on its own
      }
    } else if (u >= 0xDC00 && u <= 0xDFFF) {
      append_utf8(kReplacement, out), ++replaced;  // a low surrogate with no high one before it
    } else {
      append_utf8(static_cast<uint32_t>(u), out);
    }
  }
  return true;
}

}  // namespace infertrace::kineto
