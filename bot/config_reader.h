// Reading config sections: shared by the files that parse the TOML. Internal
// to bot/.
#pragma once

#include <toml++/toml.h>

#include <set>
#include <string>
#include <vector>

#include "bot/config.h"

namespace scrm::bot {

// Reads one section's keys into the struct, recording type errors and
// unknown keys. Each section lists exactly the keys it accepts.
class SectionReader {
 public:
  SectionReader(const toml::table* table, std::string section, std::vector<ConfigError>& errors)
      : table_(table), section_(std::move(section)), errors_(errors) {}

  void String(const char* key, std::string& out) {
    known_.insert(key);
    const toml::node* node = Find(key);
    if (!node) return;
    if (auto v = node->value<std::string>(); v && node->is_string()) {
      out = *v;
    } else {
      Error(key, "expected a string");
    }
  }

  template <class Int>
  void Integer(const char* key, Int& out, long long min, long long max) {
    known_.insert(key);
    const toml::node* node = Find(key);
    if (!node) return;
    if (!node->is_integer()) return Error(key, "expected an integer");
    long long v = node->as_integer()->get();
    if (v < min || v > max) {
      return Error(key, "must be between " + std::to_string(min) + " and " + std::to_string(max));
    }
    out = static_cast<Int>(v);
  }

  void Bool(const char* key, bool& out) {
    known_.insert(key);
    const toml::node* node = Find(key);
    if (!node) return;
    if (!node->is_boolean()) return Error(key, "expected true or false");
    out = node->as_boolean()->get();
  }

  // The raw value of `key` (nullptr when absent), for arrays and tables.
  const toml::node* Raw(const char* key) {
    known_.insert(key);
    return Find(key);
  }

  void RejectUnknown() {
    if (!table_) return;
    for (auto&& [k, v] : *table_) {
      if (!known_.count(std::string(k.str()))) Error(std::string(k.str()).c_str(), "unknown key");
    }
  }

  void Error(const std::string& key, std::string message) {
    errors_.push_back({section_ + "." + key, std::move(message)});
  }

  // Reports a missing or invalid value unless the key already has an error.
  void Require(bool ok, const std::string& key, std::string message) {
    if (ok) return;
    std::string full = section_ + "." + key;
    for (const auto& e : errors_) {
      if (e.key == full) return;
    }
    Error(key, std::move(message));
  }

 private:
  const toml::node* Find(const char* key) const { return table_ ? table_->get(key) : nullptr; }

  const toml::table* table_;
  std::string section_;
  std::vector<ConfigError>& errors_;
  std::set<std::string> known_;
};

// Readers of the CRM sections ([funnel], [tiering], [cadence], [reminders],
// [[teams]]), in config_crm.cpp.
void ReadFunnel(const toml::table* t, Config& c, std::vector<ConfigError>& errors);
void ReadTiering(const toml::table* t, Config& c, std::vector<ConfigError>& errors);
void ReadCadence(const toml::table* t, Config& c, std::vector<ConfigError>& errors);
void ReadReminders(const toml::table* t, Config& c, std::vector<ConfigError>& errors);
void ReadTeams(const toml::node* node, Config& c, std::vector<ConfigError>& errors);
void ReadAuthority(const toml::table* t, Config& c, std::vector<ConfigError>& errors);
void ReadApproval(const toml::table* t, Config& c, std::vector<ConfigError>& errors);

}  // namespace scrm::bot
