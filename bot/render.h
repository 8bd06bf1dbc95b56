// Message templates (Mustache files in templates/), loaded once at start.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace scrm::bot {

// What a template is rendered with: strings, and lists of rows for
// {{#name}}...{{/name}} sections (an empty list renders nothing).
struct View {
  using Row = std::map<std::string, std::string>;
  Row vars;
  std::map<std::string, std::vector<Row>> lists;
};

class Templates {
 public:
  // Loads every *.mustache file of `dir`. Returns nullopt and fills `error`
  // when the folder is unreadable, a template does not parse, or one of
  // `required` is missing.
  static std::optional<Templates> Load(const std::string& dir,
                                       const std::vector<std::string>& required,
                                       std::string& error);

  // Renders template `name` (file name without .mustache) with string
  // variables. An unknown name renders as an empty string. Not thread-safe:
  // render from one thread (the writer thread, where dispatch runs).
  std::string Render(const std::string& name,
                     const std::map<std::string, std::string>& vars = {}) const;

  std::string RenderView(const std::string& name, const View& view) const;
  // The same for a markdown template: every value is made inert first (a
  // customer's nickname such as "[退款](https://x.cn)" or "<@all>" shows as
  // typed, not as a link, a font or a mention).
  std::string RenderMarkdown(const std::string& name, View view) const;

  bool Has(const std::string& name) const { return parsed_.count(name) > 0; }

 private:
  struct Parsed;  // a compiled template
  std::map<std::string, std::shared_ptr<Parsed>> parsed_;
};

// Templates every build of the bot needs.
const std::vector<std::string>& RequiredTemplates();

}  // namespace scrm::bot
