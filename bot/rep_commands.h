// A rep's chat message, run as a command: parse, check who may see the
// customer, change the CRM, and answer from templates/.
#pragma once

#include <string>

#include "bot/crm_context.h"

namespace scrm::storage {
class Connection;
}

namespace scrm::bot {

Messages RunRepMessage(storage::Connection& c, const std::string& rep, const std::string& text,
                       const CrmContext& ctx);

// The answer to a rep's image, voice, video, location or link message
// (`what`: "图片", "语音", ...): commands are text only.
Messages ReplyNotText(const std::string& rep, const std::string& what, const CrmContext& ctx);

}  // namespace scrm::bot
