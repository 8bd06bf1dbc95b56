// The crypto vectors of tests/data/wecom-vectors.json.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace scrm::test {

// One vector: every string field of its JSON object, by name.
using Vector = std::map<std::string, std::string>;

// All vectors in file order. Fails the running test if the file is missing.
const std::vector<Vector>& CryptoVectors();
const Vector& VectorById(const std::string& id);

std::string HexDecode(const std::string& hex);

}  // namespace scrm::test
