// Small XML helpers for the WeCom wire format (no pugixml in this header).
#pragma once

#include <string>
#include <string_view>

#include "wecom/errors.h"

namespace scrm::wecom {

// Wraps `text` in CDATA, splitting any "]]>" so the result stays well formed.
std::string CData(std::string_view text);

// Escapes &, <, >, " and ' for use as element text.
std::string EscapeText(std::string_view text);

// The outer, unauthenticated envelope of a POST callback.
struct Envelope {
  std::string to_user_name;
  std::string encrypt;
  std::string agent_id;  // may be empty
};

// Parses `<xml><ToUserName/><Encrypt/><AgentID/></xml>` in any element order.
// kParseXml for malformed XML, a DOCTYPE, a root other than <xml>, or no
// non-empty <Encrypt>.
Result<Envelope> ParseEnvelope(std::string_view body);

}  // namespace scrm::wecom
