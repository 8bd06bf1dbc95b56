#include "wecom/xml.h"

#include "wecom/xml_internal.h"

namespace scrm::wecom {
namespace internal {

pugi::xml_node ParseRoot(pugi::xml_document& doc, std::string_view text) {
  // parse_doctype keeps a DOCTYPE as a node so it can be seen and refused;
  // pugixml never expands DTD entities either way. parse_fragment keeps text
  // outside the root as nodes too (otherwise pugixml skips it), so that
  // "junk<xml>...</xml>junk" is refused as well.
  unsigned flags = pugi::parse_default | pugi::parse_doctype | pugi::parse_fragment;
  pugi::xml_parse_result parsed =
      doc.load_buffer(text.data(), text.size(), flags, pugi::encoding_utf8);
  if (!parsed) return {};
  pugi::xml_node root;
  for (pugi::xml_node node : doc.children()) {
    switch (node.type()) {
      case pugi::node_element:
        if (root) return {};
        root = node;
        break;
      case pugi::node_doctype:
      case pugi::node_pcdata:
      case pugi::node_cdata:
        return {};
      default:
        break;
    }
  }
  if (!root || std::string_view(root.name()) != "xml") return {};
  return root;
}

void AppendText(pugi::xml_node node, std::string& out) {
  for (pugi::xml_node child = node.first_child(); child; child = child.next_sibling()) {
    pugi::xml_node_type type = child.type();
    if (type == pugi::node_pcdata || type == pugi::node_cdata) out.append(child.value());
  }
}

std::string TextOf(pugi::xml_node node) {
  pugi::xml_node first = node.first_child();
  if (first && !first.next_sibling() &&
      (first.type() == pugi::node_pcdata || first.type() == pugi::node_cdata)) {
    return first.value();  // the usual case: one text or CDATA child
  }
  std::string out;
  AppendText(node, out);
  return out;
}

}  // namespace internal

std::string CData(std::string_view text) {
  std::string out = "<![CDATA[";
  size_t start = 0;
  for (size_t pos; (pos = text.find("]]>", start)) != std::string_view::npos; start = pos + 2) {
    out.append(text.substr(start, pos + 2 - start));
    out.append("]]><![CDATA[");
  }
  out.append(text.substr(start));
  out.append("]]>");
  return out;
}

std::string EscapeText(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

Result<Envelope> ParseEnvelope(std::string_view body) {
  pugi::xml_document doc;
  pugi::xml_node root = internal::ParseRoot(doc, body);
  if (!root) return Errc::kParseXml;
  Envelope env;
  env.to_user_name = internal::TextOf(root.child("ToUserName"));
  env.encrypt = internal::TextOf(root.child("Encrypt"));
  env.agent_id = internal::TextOf(root.child("AgentID"));
  if (env.encrypt.empty()) return Errc::kParseXml;
  return env;
}

}  // namespace scrm::wecom
