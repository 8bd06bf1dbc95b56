#include "bot/render.h"

#include <filesystem>
#include <fstream>
#include <kainjow/mustache.hpp>
#include <sstream>

namespace scrm::bot {

const std::vector<std::string>& RequiredTemplates() {
  static const std::vector<std::string> kRequired = {"help", "unknown_command"};
  return kRequired;
}

std::optional<Templates> Templates::Load(const std::string& dir,
                                         const std::vector<std::string>& required,
                                         std::string& error) {
  namespace fs = std::filesystem;
  Templates out;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) {
    error = "templates.dir: cannot read \"" + dir + "\": " + ec.message();
    return std::nullopt;
  }
  for (const auto& entry : it) {
    if (entry.path().extension() != ".mustache") continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    kainjow::mustache::mustache parsed(text.str());
    if (!parsed.is_valid()) {
      error = "templates.dir: " + entry.path().filename().string() + ": " + parsed.error_message();
      return std::nullopt;
    }
    out.sources_[entry.path().stem().string()] = text.str();
  }
  for (const auto& name : required) {
    if (!out.Has(name)) {
      error = "templates.dir: " + name + ".mustache is missing in \"" + dir + "\"";
      return std::nullopt;
    }
  }
  return out;
}

std::string Templates::Render(const std::string& name,
                              const std::map<std::string, std::string>& vars) const {
  auto it = sources_.find(name);
  if (it == sources_.end()) return {};
  kainjow::mustache::mustache tmpl(it->second);
  kainjow::mustache::data data;
  for (const auto& [key, value] : vars) data.set(key, value);
  std::string text = tmpl.render(data);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  size_t first = text.find_first_not_of("\n ");
  return first == std::string::npos ? std::string() : text.substr(first);
}

}  // namespace scrm::bot
