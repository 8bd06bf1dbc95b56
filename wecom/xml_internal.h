// pugixml parsing shared by the envelope and the event parser. Internal to
// scrm_wecom: include only from wecom/*.cpp.
#pragma once

#include <pugixml.hpp>
#include <string_view>

namespace scrm::wecom::internal {

// Parses `text` into `doc`. Refuses any DOCTYPE (entities are never expanded),
// anything that is not a single well-formed document, and a root element
// other than <xml>. Returns the root or an empty node.
pugi::xml_node ParseRoot(pugi::xml_document& doc, std::string_view text);

}  // namespace scrm::wecom::internal
