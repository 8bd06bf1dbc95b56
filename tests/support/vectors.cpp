#include "tests/support/vectors.h"

#include <rapidjson/document.h>

#include <catch2/catch.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "tests/support/catch_result.h"

namespace scrm::test {

const std::vector<Vector>& CryptoVectors() {
  static const std::vector<Vector> vectors = [] {
    std::ifstream in(std::string(SCRM_TEST_DATA_DIR) + "/wecom-vectors.json");
    if (!in) throw std::runtime_error("tests/data/wecom-vectors.json missing");
    std::stringstream text;
    text << in.rdbuf();
    rapidjson::Document doc;
    doc.Parse(text.str().c_str());
    if (doc.HasParseError()) throw std::runtime_error("wecom-vectors.json is not JSON");
    std::vector<Vector> out;
    for (const auto& v : doc["vectors"].GetArray()) {
      Vector fields;
      for (const auto& m : v.GetObject()) {
        if (m.value.IsString()) fields[m.name.GetString()] = m.value.GetString();
        if (m.value.IsInt()) fields[m.name.GetString()] = std::to_string(m.value.GetInt());
      }
      out.push_back(std::move(fields));
    }
    return out;
  }();
  return vectors;
}

const Vector& VectorById(const std::string& id) {
  for (const auto& v : CryptoVectors()) {
    if (v.at("id") == id) return v;
  }
  throw std::runtime_error("no vector " + id);
}

std::string HexDecode(const std::string& hex) {
  std::string out;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    out.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
  }
  return out;
}

}  // namespace scrm::test
