// JSON helpers for the typed API requests and replies. Internal to wecom/:
// include only from wecom/*.cpp.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wecom/errors.h"

namespace scrm::wecom::json {

// Writes one JSON object: `Out out; out.Str("a", x); ... return out.Done();`
class Out {
 public:
  Out() : w_(buffer_) { w_.StartObject(); }

  Out& Str(const char* key, std::string_view value) {
    w_.Key(key);
    return Value(value);
  }
  Out& Int(const char* key, std::int64_t value) {
    w_.Key(key);
    w_.Int64(value);
    return *this;
  }
  Out& Bool(const char* key, bool value) {
    w_.Key(key);
    w_.Bool(value);
    return *this;
  }
  Out& Strs(const char* key, const std::vector<std::string>& values) {
    w_.Key(key);
    w_.StartArray();
    for (const auto& v : values) Value(v);
    w_.EndArray();
    return *this;
  }
  Out& Ints(const char* key, const std::vector<std::int64_t>& values) {
    w_.Key(key);
    w_.StartArray();
    for (auto v : values) w_.Int64(v);
    w_.EndArray();
    return *this;
  }
  // key: { fill(*this) }
  template <class Fill>
  Out& Object(const char* key, Fill fill) {
    w_.Key(key);
    w_.StartObject();
    fill(*this);
    w_.EndObject();
    return *this;
  }
  // key: [ { each(*this, item) }, ... ]
  template <class Items, class Each>
  Out& Objects(const char* key, const Items& items, Each each) {
    w_.Key(key);
    w_.StartArray();
    for (const auto& item : items) {
      w_.StartObject();
      each(*this, item);
      w_.EndObject();
    }
    w_.EndArray();
    return *this;
  }
  std::string Done() {
    w_.EndObject();
    return std::string(buffer_.GetString(), buffer_.GetSize());
  }

 private:
  Out& Value(std::string_view v) {
    w_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()));
    return *this;
  }
  rapidjson::StringBuffer buffer_;
  rapidjson::Writer<rapidjson::StringBuffer> w_;
};

using Node = rapidjson::Value;

// Parses a reply; kBadJson unless it is a JSON object.
inline Result<rapidjson::Document> Parse(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError() || !doc.IsObject()) return Errc::kBadJson;
  return doc;
}

inline const Node* Find(const Node& object, const char* key) {
  if (!object.IsObject()) return nullptr;
  auto it = object.FindMember(key);
  return it == object.MemberEnd() ? nullptr : &it->value;
}

// A string field ("" when absent); numbers are given as their digits, since
// WeCom sends some ids either way.
inline std::string Str(const Node& object, const char* key) {
  const Node* v = Find(object, key);
  if (!v) return {};
  if (v->IsString()) return std::string(v->GetString(), v->GetStringLength());
  if (v->IsInt64()) return std::to_string(v->GetInt64());
  if (v->IsUint64()) return std::to_string(v->GetUint64());
  return {};
}

// An integer field (0 when absent); digits in a string are accepted.
inline std::int64_t Int(const Node& object, const char* key) {
  const Node* v = Find(object, key);
  if (!v) return 0;
  if (v->IsInt64()) return v->GetInt64();
  if (v->IsString()) {
    std::string_view s(v->GetString(), v->GetStringLength());
    std::int64_t n = 0;
    for (char c : s) {
      if (c < '0' || c > '9' || n > (INT64_MAX - 9) / 10) return 0;
      n = n * 10 + (c - '0');
    }
    return n;
  }
  return 0;
}

// Calls each(element) for every element of the array field `key`.
template <class Each>
void ForEach(const Node& object, const char* key, Each each) {
  const Node* v = Find(object, key);
  if (!v || !v->IsArray()) return;
  for (const auto& element : v->GetArray()) each(element);
}

inline std::vector<std::string> Strs(const Node& object, const char* key) {
  std::vector<std::string> out;
  ForEach(object, key, [&](const Node& e) {
    if (e.IsString()) out.emplace_back(e.GetString(), e.GetStringLength());
    if (e.IsInt64()) out.push_back(std::to_string(e.GetInt64()));
  });
  return out;
}

inline std::vector<std::int64_t> Ints(const Node& object, const char* key) {
  std::vector<std::int64_t> out;
  ForEach(object, key, [&](const Node& e) {
    if (e.IsInt64()) out.push_back(e.GetInt64());
  });
  return out;
}

}  // namespace scrm::wecom::json
