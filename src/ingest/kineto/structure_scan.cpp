#include "ingest/kineto/structure_scan.h"

#include <algorithm>
#include <cstring>

namespace infertrace::kineto {

namespace {
bool is_ws(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

// First comma at or after `from` that sits between "}" and "{" (ignoring whitespace).
size_t next_event_comma(const char* d, size_t from, size_t end) {
  size_t i = from;
  while (i < end) {
    const void* hit = std::memchr(d + i, ',', end - i);
    if (!hit) return end;
    const size_t p = static_cast<size_t>(static_cast<const char*>(hit) - d);
    size_t b = p;
    while (b > 0 && is_ws(d[b - 1])) --b;
    size_t f = p + 1;
    while (f < end && is_ws(d[f])) ++f;
    if (b > 0 && d[b - 1] == '}' && f < end && d[f] == '{') return p;
    i = p + 1;
  }
  return end;
}
}  // namespace

std::vector<size_t> quick_cuts(const char* data, size_t size, size_t chunk, size_t edge,
                               const std::function<void(size_t from, size_t to)>& searched) {
  std::vector<size_t> cuts;
  // next_event_comma() reads from `from` to the comma, and the whitespace around it: the range
  // passed on is that, give or take a long run of whitespace.
  auto search = [&](size_t from) {
    const size_t c = next_event_comma(data, from, size);
    if (searched) searched(from, c < size ? std::min(size, c + 64) : size);
    return c;
  };
  if (edge == 0 || edge > chunk) edge = chunk;
  size_t pos = 0, target = edge;
  while (size - pos > target) {
    const size_t c = search(pos + target);
    if (c >= size) break;
    cuts.push_back(c);
    pos = c + 1;
    target = chunk;
  }
  if (!cuts.empty() && edge < chunk && size - pos > edge) {
    const size_t c = search(size - edge);
    if (c < size) cuts.push_back(c);
  }
  return cuts;
}

ExactCuts exact_cuts(const char* d, size_t n, size_t chunk, bool object_form) {
  ExactCuts r;
  int64_t depth = 0;
  bool in_events = false, last_string_is_events = false;
  size_t last_cut = 0, str_start = 0;
  for (size_t i = 0; i < n; ++i) {
    const char c = d[i];
    switch (c) {
      case '"': {
        str_start = i + 1;
        ++i;
        while (i < n && d[i] != '"') i += d[i] == '\\' ? 2 : 1;
        if (i >= n) {
          r.well_formed = false;
          r.error_offset = static_cast<int64_t>(str_start - 1);
          return r;
        }
        if (depth == 1) last_string_is_events = i - str_start == 11 && std::memcmp(d + str_start, "traceEvents", 11) == 0;
        break;
      }
      case '{':
      case '[':
        ++depth;
        if (object_form && depth == 2) in_events = c == '[' && last_string_is_events;
        break;
      case '}':
      case ']':
        if (depth == 2) in_events = false;
        if (--depth < 0) {
          r.well_formed = false;
          r.error_offset = static_cast<int64_t>(i);
          return r;
        }
        break;
      case ',': {
        const bool between_events = object_form ? (depth == 2 && in_events) : depth == 1;
        if (between_events && i - last_cut >= chunk) {
          r.cuts.push_back(i);
          last_cut = i;
        }
        break;
      }
      default:
        break;
    }
  }
  if (depth != 0) {
    r.well_formed = false;
    r.error_offset = static_cast<int64_t>(n);
  }
  return r;
}

size_t first_invalid_utf8(const unsigned char* p, size_t n) {
  size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return i;
    }
    if (i + len > n) return i;
    for (size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return i;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and values past U+10FFFF are invalid too.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
      return i;
    i += len;
  }
  return n;
}

size_t first_unescaped_control(const unsigned char* p, size_t n) {
  bool in_string = false;
  for (size_t i = 0; i < n; ++i) {
    const unsigned char c = p[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      } else if (c < 0x20) {
        return i;
      }
    } else if (c == '"') {
      in_string = true;
    }
  }
  return n;
}

size_t content_after_document(const unsigned char* p, size_t n) {
  const auto space = [](unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  size_t i = 0;
  while (i < n && space(p[i])) ++i;
  if (i == n || (p[i] != '{' && p[i] != '[')) return n;
  int64_t depth = 0;
  bool in_string = false;
  for (; i < n; ++i) {
    const unsigned char c = p[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      for (++i; i < n && space(p[i]);) ++i;
      return i;
    }
  }
  return n;
}

}  // namespace infertrace::kineto
