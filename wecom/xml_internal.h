// pugixml parsing shared by the envelope and the event parser. Internal to
// scrm_wecom: include only from wecom/*.cpp.
#pragma once

#include <pugixml.hpp>
#include <string>
#include <string_view>

namespace scrm::wecom::internal {

// Parses `text` into `doc`. Refuses any DOCTYPE (entities are never expanded),
// anything that is not a single well-formed document, and a root element
// other than <xml>. Returns the root or an empty node.
pugi::xml_node ParseRoot(pugi::xml_document& doc, std::string_view text);

// Appends the text of every text and CDATA child of `node` to `out`: an
// element's text may come in several pieces ("a<![CDATA[]]]]><![CDATA[>]]>b").
void AppendText(pugi::xml_node node, std::string& out);

// The whole text of an element, as AppendText.
std::string TextOf(pugi::xml_node node);

}  // namespace scrm::wecom::internal
