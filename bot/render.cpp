#include "bot/render.h"

#include <filesystem>
#include <fstream>
#include <kainjow/mustache.hpp>
#include <sstream>
#include <string_view>

#include "domain/utf8.h"

namespace scrm::bot {

namespace {

// kainjow leaves the line of a section tag (or a comment) standing alone
// when the section is not shown: an empty section left a blank line in the
// message. Such lines get this mark before their line break, and the mark
// with its line break is taken out of the rendered text, shown or not.
constexpr char kStandalone = '\x01';

// The tag a line holds alone (around it only spaces, tabs, a CR), or empty.
std::string_view StandaloneTag(std::string_view line) {
  auto first = line.find_first_not_of(" \t");
  auto last = line.find_last_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  line = line.substr(first, last - first + 1);
  if (line.size() < 5 || !line.starts_with("{{") || !line.ends_with("}}")) return {};
  if (line.find("}}") != line.size() - 2) return {};  // one tag only
  char kind = line[2];
  bool section = kind == '#' || kind == '^' || kind == '/' || kind == '!';
  return section ? line : std::string_view();
}

std::string MarkStandaloneTags(const std::string& text) {
  std::string out;
  out.reserve(text.size() + 64);
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    std::string_view line(text.data() + begin,
                          (end == std::string::npos ? text.size() : end) - begin);
    std::string_view tag = StandaloneTag(line);
    if (tag.empty()) {
      out += line;
    } else {
      out += tag;  // without the spaces and CR around it, which would stay
      out += kStandalone;
    }
    if (end == std::string::npos) break;
    out += '\n';
    begin = end + 1;
  }
  return out;
}

std::string WithoutMarks(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != kStandalone) {
      out += text[i];
    } else if (i + 1 < text.size() && text[i + 1] == '\n') {
      ++i;  // the mark's line break goes with it
    }
  }
  return out;
}

}  // namespace

// Templates are compiled once at start; render() mutates kainjow's internal
// state, hence the single-thread rule in the header.
struct Templates::Parsed {
  explicit Parsed(const std::string& text) : tmpl(MarkStandaloneTags(text)) {}
  kainjow::mustache::mustache tmpl;
};

namespace {

// An empty string is false, so {{#key}}...{{/key}} shows only what is set.
kainjow::mustache::data Value(const std::string& text) {
  if (text.empty()) return kainjow::mustache::data(false);
  if (text.find(kStandalone) == std::string::npos) return kainjow::mustache::data(text);
  std::string clean = text;  // a value never carries the mark
  std::erase(clean, kStandalone);
  return kainjow::mustache::data(clean);
}

// Markdown's active characters in a value, as their full-width forms (WeCom
// knows no escapes); a line break, which could start a heading or a quote,
// as a space.
std::string MarkdownInert(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '[':
        out += "［";
        break;
      case ']':
        out += "］";
        break;
      case '<':
        out += "＜";
        break;
      case '>':
        out += "＞";
        break;
      case '*':
        out += "＊";
        break;
      case '`':
        out += "｀";
        break;
      case '#':
        out += "＃";
        break;
      case '\n':
      case '\r':
        out += ' ';
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace

const std::vector<std::string>& RequiredTemplates() {
  static const std::vector<std::string> kRequired = {"help",
                                                     "unknown_command",
                                                     "not_text",
                                                     "command_error",
                                                     "customer_not_found",
                                                     "choose_customer",
                                                     "customer_card",
                                                     "follow_recorded",
                                                     "stage_moved",
                                                     "stage_error",
                                                     "quote_recorded",
                                                     "payment_recorded",
                                                     "quote_not_submitted",
                                                     "deal_lost",
                                                     "tier_set",
                                                     "todo",
                                                     "funnel",
                                                     "welcome",
                                                     "churn_alert",
                                                     "rep_left",
                                                     "transfer_failed",
                                                     "reminder",
                                                     "digest_daily",
                                                     "quote_pending",
                                                     "quote_decided",
                                                     "quote_withdrawn",
                                                     "approval_reminder",
                                                     "approval_manager_changed",
                                                     "digest_weekly",
                                                     "team"};
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
    if (!domain::IsUtf8(text.str())) {
      error = "templates.dir: " + entry.path().filename().string() +
              " is not UTF-8 (saved in another encoding?)";
      return std::nullopt;
    }
    auto parsed = std::make_shared<Parsed>(text.str());
    if (!parsed->tmpl.is_valid()) {
      error = "templates.dir: " + entry.path().filename().string() + ": " +
              parsed->tmpl.error_message();
      return std::nullopt;
    }
    out.parsed_[entry.path().stem().string()] = std::move(parsed);
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
  return RenderView(name, View{vars, {}});
}

std::string Templates::RenderMarkdown(const std::string& name, View view) const {
  for (auto& [key, value] : view.vars) value = MarkdownInert(value);
  for (auto& [key, rows] : view.lists) {
    for (auto& row : rows) {
      for (auto& [k, v] : row) v = MarkdownInert(v);
    }
  }
  return RenderView(name, view);
}

std::string Templates::RenderView(const std::string& name, const View& view) const {
  auto it = parsed_.find(name);
  if (it == parsed_.end()) return {};
  kainjow::mustache::data data;
  for (const auto& [key, value] : view.vars) data.set(key, Value(value));
  for (const auto& [key, rows] : view.lists) {
    kainjow::mustache::data list{kainjow::mustache::data::type::list};
    for (const auto& row : rows) {
      kainjow::mustache::data object;
      for (const auto& [k, v] : row) object.set(k, Value(v));
      list.push_back(object);
    }
    data.set(key, list);
  }
  std::string text = WithoutMarks(it->second->tmpl.render(data));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  size_t first = text.find_first_not_of("\n ");
  return first == std::string::npos ? std::string() : text.substr(first);
}

}  // namespace scrm::bot
