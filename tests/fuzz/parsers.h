// One entry point over every parser that reads input from outside the bot:
// the callback envelope and payload XML, the callback crypto, Base64, query
// strings, chat commands, amounts and clock times, the config file, URLs and
// WeCom's JSON answers, plus the text splitters that cut what the bot sends.
//
// The first byte of an input picks the parser, the rest is its input. Each
// parser must return normally (a value or an error, never a crash or an
// escaping exception) and keep the properties checked here, such as Base64
// decoding what it encoded or a split piece staying within its limit.
//
// The same entry point drives libFuzzer (scripts/fuzz.sh, with clang) and the
// deterministic replay in tests/fuzz/fuzz_test.cpp (the normal test build).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scrm::fuzz {

// Runs one input. Returns a description of the broken property, or nullopt.
std::optional<std::string> RunOne(std::string_view input);

// How many parsers there are (the first byte is taken modulo this) and the
// name of each, for messages.
int TargetCount();
const char* TargetName(int target);

// Well-formed samples for each parser, each with its selector byte in front:
// the starting corpus for fuzzing and mutation.
std::vector<std::string> Seeds();

}  // namespace scrm::fuzz
