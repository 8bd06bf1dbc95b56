// Storage-internal: owner lists as JSON arrays, for
// "owner IN (SELECT value FROM json_each(:owners))" with one cached statement
// whatever the list's length.
#pragma once

#include <string>
#include <vector>

namespace scrm::storage {

inline std::string JsonList(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const auto& item : items) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char ch : item) {
      if (ch == '"' || ch == '\\') out += '\\';
      if (static_cast<unsigned char>(ch) >= 0x20) out += ch;
    }
    out += '"';
  }
  return out + "]";
}

}  // namespace scrm::storage
