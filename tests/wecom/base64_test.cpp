#include "wecom/base64.h"

#include <catch2/catch.hpp>

#include "tests/support/catch_result.h"

using scrm::wecom::Base64Decode;
using scrm::wecom::Base64Encode;

TEST_CASE("base64 round trips RFC 4648 examples", "[base64]") {
  const char* cases[][2] = {{"", ""},
                            {"f", "Zg=="},
                            {"fo", "Zm8="},
                            {"foo", "Zm9v"},
                            {"foob", "Zm9vYg=="},
                            {"fooba", "Zm9vYmE="},
                            {"foobar", "Zm9vYmFy"}};
  for (auto& c : cases) {
    CHECK(Base64Encode(c[0]) == c[1]);
    CHECK(Base64Decode(c[1]) == std::string(c[0]));
  }
}

TEST_CASE("base64 keeps binary bytes", "[base64]") {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  CHECK(Base64Decode(Base64Encode(all)) == all);
}

TEST_CASE("non-canonical trailing bits are accepted", "[base64]") {
  // Both official EncodingAESKeys end in a character with spare bits set.
  auto key = Base64Decode("6qkdMrq68nTKduznJYO1A37W2oEgpkMUvkttRToqhUt=");
  REQUIRE(key);
  CHECK(key->size() == 32);
  CHECK(Base64Decode("Zh==") == std::string("f"));
}

TEST_CASE("malformed base64 is refused", "[base64]") {
  for (const char* bad :
       {"@@@@", "Zg=", "Zg", "Z===", "=Zg=", "Zg==Zg==", "Zm9v\n", "Zm 9", "Zm9*"}) {
    INFO(bad);
    CHECK_FALSE(Base64Decode(bad).has_value());
  }
}
