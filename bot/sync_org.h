// `scrm-bot sync-org`: reads departments and members from WeCom's directory
// and records who manages whom, so managers see their teams' customers
// without listing them in [[teams]].
#pragma once

#include "bot/config.h"
#include "domain/clock.h"

namespace scrm::bot {

// A member's manager is their direct leader (直属上级) when WeCom has one;
// otherwise the leader of their main department, or, for that leader, the
// leader of the parent department. Returns the exit code.
int SyncOrgCommand(const Config& config, const domain::Clock& clock);

}  // namespace scrm::bot
