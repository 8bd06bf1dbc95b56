// The CRM sections of the configuration: [funnel], [tiering], [cadence],
// [reminders] and [[teams]].
#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "bot/config_reader.h"
#include "domain/schedule.h"

namespace scrm::bot {
namespace {

void ReadStages(const toml::node* node, Config& c, SectionReader& r) {
  if (!node) return;
  const toml::array* stages = node->as_array();
  if (!stages || stages->empty()) {
    return r.Error("stages", "expected an array of { name = \"...\", sla_days = N }");
  }
  for (const auto& item : *stages) {
    const toml::table* t = item.as_table();
    auto name = t ? t->get_as<std::string>("name") : nullptr;
    auto sla = t ? t->get_as<int64_t>("sla_days") : nullptr;
    bool only_known = t && t->size() == static_cast<std::size_t>(1 + (sla != nullptr));
    // One error for the key: the checks of the whole funnel that follow
    // see the standard stages.
    if (!name || !only_known || (sla && (sla->get() < 0 || sla->get() > 3650))) {
      c.crm.stages.clear();
      return r.Error("stages", "each stage is { name = \"...\", sla_days = 0..3650 }");
    }
    c.crm.stages.push_back({name->get(), sla ? static_cast<int>(sla->get()) : 0});
  }
}

// A yuan amount as a positive integer → fen.
void Yuan(SectionReader& r, const char* key, domain::Fen& out) {
  long long yuan = out / 100;
  r.Integer(key, yuan, 0, 1'000'000'000'000LL);
  out = yuan * 100;
}

}  // namespace

void ReadFunnel(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "funnel", errors);
  ReadStages(r.Raw("stages"), c, r);
  r.String("lost", c.crm.lost_stage);
  bool quote_set = r.Raw("quote_stage") != nullptr;
  bool payment_set = r.Raw("payment_stage") != nullptr;
  r.String("quote_stage", c.crm.quote_stage);
  r.String("payment_stage", c.crm.payment_stage);
  r.Integer("choice_minutes", c.crm.choice_minutes, 1, 1440);
  r.RejectUnknown();
  if (c.crm.lost_stage.empty()) return r.Error("lost", "must not be empty");
  // The standard stages when none are configured (FunnelOf).
  auto stages = c.crm.stages.empty() ? domain::Funnel::Default().stages() : c.crm.stages;
  auto funnel = domain::Funnel::Create(stages, c.crm.lost_stage);
  if (!funnel) {
    return c.crm.stages.empty() ? r.Error("lost", "must differ from every stage name")
                                : r.Error("stages",
                                          "needs at least two stages with distinct, non-empty "
                                          "names, none named like `lost`");
  }
  // A stage before the last (won) one. One that was not set falls back to
  // none when a custom funnel has no stage of the default name.
  for (auto [key, stage, set] : {std::tuple{"quote_stage", &c.crm.quote_stage, quote_set},
                                 std::tuple{"payment_stage", &c.crm.payment_stage, payment_set}}) {
    auto at = funnel->IndexOf(*stage);
    bool open_stage = at && *at + 1 < static_cast<int>(funnel->stages().size());
    if (stage->empty() || open_stage) continue;
    if (!set) {
      stage->clear();
    } else {
      r.Error(key, "\"" + *stage +
                       "\" is not one of the stages before the last; name one, or \"\" for none");
    }
  }
}

void ReadTiering(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "tiering", errors);
  domain::TieringRules& rules = c.crm.tiering;
  Yuan(r, "a_value_yuan", rules.a_value);
  Yuan(r, "b_value_yuan", rules.b_value);
  r.Integer("new_days", rules.new_days, 1, 3650);
  r.Integer("at_risk_days", rules.at_risk_days, 1, 3650);
  r.Integer("churned_days", rules.churned_days, 1, 3650);
  if (const toml::node* tags = r.Raw("tag_tiers")) {
    const toml::table* table = tags->as_table();
    if (!table) {
      r.Error("tag_tiers", "expected a table of tag name = \"A\" | \"B\" | \"C\"");
    } else {
      for (auto&& [name, tier] : *table) {
        auto value = tier.value<std::string>();
        if (!value || value->size() != 1 || (*value)[0] < 'A' || (*value)[0] > 'C') {
          r.Error("tag_tiers", "the tier of \"" + std::string(name.str()) + "\" must be A, B or C");
        } else {
          c.crm.tag_tiers[std::string(name.str())] = (*value)[0];
        }
      }
    }
  }
  r.RejectUnknown();
  r.Require(rules.b_value <= rules.a_value, "b_value_yuan", "must not exceed a_value_yuan");
  r.Require(rules.at_risk_days < rules.churned_days, "churned_days",
            "must be longer than at_risk_days");
}

void ReadCadence(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "cadence", errors);
  domain::CadenceRules& rules = c.crm.cadence;
  r.Integer("a_days", rules.a_days, 1, 365);
  r.Integer("b_days", rules.b_days, 1, 365);
  r.Integer("c_days", rules.c_days, 1, 365);
  r.Integer("at_risk_days", rules.at_risk_days, 1, 365);
  r.Integer("first_contact_hours", rules.first_contact_hours, 1, 720);
  r.Integer("post_win_days", rules.post_win_days, 1, 365);
  r.RejectUnknown();
}

void ReadReminders(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "reminders", errors);
  RemindersConfig& rc = c.reminders;
  r.String("work_start", rc.work_start);
  r.String("work_end", rc.work_end);
  r.Bool("weekends", rc.weekends);
  r.Integer("scan_minutes", rc.scan_minutes, 1, 1440);
  r.RejectUnknown();
  auto start = domain::ParseClockTime(rc.work_start);
  auto end = domain::ParseClockTime(rc.work_end);
  if (!start) r.Error("work_start", "expected HH:MM, e.g. \"09:00\"");
  if (!end) r.Error("work_end", "expected HH:MM, e.g. \"18:00\"");
  if (start && end) {
    rc.work_start_minute = *start;
    rc.work_end_minute = *end;
    r.Require(*start < *end, "work_end", "must be later than work_start");
  }
}

void ReadTeams(const toml::node* node, Config& c, std::vector<ConfigError>& errors) {
  if (!node) return;
  const toml::array* teams = node->as_array();
  if (!teams) {
    errors.push_back({"teams", "expected [[teams]] tables"});
    return;
  }
  std::set<std::string> names;
  std::set<std::string> managers;
  std::map<std::string, std::string> team_of;  // member → the team that lists them
  for (std::size_t i = 0; i < teams->size(); ++i) {
    std::string key = "teams[" + std::to_string(i) + "]";
    const toml::table* t = (*teams)[i].as_table();
    if (!t) {
      errors.push_back({key, "expected a table with name, manager and members"});
      continue;
    }
    TeamConfig team;
    SectionReader r(t, key, errors);
    r.String("name", team.name);
    r.String("manager", team.manager);
    r.String("chat_id", team.chat_id);
    r.String("robot", team.robot);
    if (const toml::node* members = r.Raw("members")) {
      const toml::array* list = members->as_array();
      bool ok = list != nullptr;
      if (list) {
        for (const auto& m : *list) {
          auto id = m.value<std::string>();
          ok = ok && id && !id->empty();
          if (id) team.members.push_back(*id);
        }
      }
      if (!ok) r.Error("members", "expected a list of member userids");
    }
    for (const std::string& member : team.members) {
      if (member == team.manager) continue;  // a manager listed in their own team reports elsewhere
      auto [at, added] = team_of.emplace(member, team.name);
      if (!added && at->second != team.name) {
        r.Error("members", member + " is already a member of team \"" + at->second +
                               "\": one team per member, or they report to two managers");
      }
    }
    r.RejectUnknown();
    // Digests go one per manager, titled and addressed by the team: a second
    // team of the same manager would have its digest under the first's
    // name, at the first's robot.
    r.Require(!team.manager.empty() && managers.insert(team.manager).second, "manager",
              "required: the manager's userid, one team per manager (put the members of "
              "several teams of one manager into one team)");
    r.Require(!team.name.empty() && names.insert(team.name).second, "name",
              "required, and unique among the teams");
    r.Require(team.robot.empty() || c.robots.count(team.robot), "robot",
              "names no robot of [robots]");
    r.Require(team.robot.empty() || team.chat_id.empty(), "chat_id",
              "set either robot or chat_id, not both: the digests go to one place");
    c.teams.push_back(std::move(team));
  }
}

void ReadAuthority(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "authority", errors);
  const toml::node* node = r.Raw("ladder");
  r.RejectUnknown();
  if (!node) return;
  const toml::array* rungs = node->as_array();
  std::vector<domain::AuthorityRung> ladder;
  bool ok = rungs != nullptr;
  for (std::size_t i = 0; ok && i < rungs->size(); ++i) {
    const toml::table* rung = (*rungs)[i].as_table();
    auto amount = rung ? rung->get_as<int64_t>("max_amount_yuan") : nullptr;
    const toml::node* discount = rung ? rung->get("max_discount") : nullptr;
    auto pct = discount ? discount->value<double>() : std::nullopt;
    ok = amount && pct && rung->size() == 2 && amount->get() > 0 &&
         amount->get() <= 1'000'000'000'000LL && *pct >= 0 && *pct < 100;
    if (ok) ladder.push_back({amount->get() * 100, static_cast<int>(*pct * 100 + 0.5)});
  }
  if (!ok) {
    return r.Error("ladder",
                   "expected [{ max_amount_yuan = 50000, max_discount = 5 }, ...], amounts "
                   "up to 1000000000000 yuan, discounts in percent below 100");
  }
  std::sort(ladder.begin(), ladder.end(),
            [](const auto& a, const auto& b) { return a.max_amount < b.max_amount; });
  c.crm.authority = ladder;
}

void ReadApproval(const toml::table* t, Config& c, std::vector<ConfigError>& errors) {
  SectionReader r(t, "approval", errors);
  ApprovalConfig& a = c.approval;
  r.String("template_id", a.template_id);
  r.String("customer_control", a.customer_control);
  r.String("amount_control", a.amount_control);
  r.String("discount_control", a.discount_control);
  r.Integer("remind_hours", a.remind_hours, 1, 720);
  r.RejectUnknown();
  // The template's control ids: each needed with a template (without one
  // they are not used: the manager gets a card).
  const std::pair<const char*, const std::string&> controls[] = {
      {"customer_control", a.customer_control},
      {"amount_control", a.amount_control},
      {"discount_control", a.discount_control}};
  for (const auto& [key, value] : controls) {
    r.Require(a.template_id.empty() || !value.empty(), key,
              "needed with template_id: the id of the template's control");
  }
}

}  // namespace scrm::bot
