#include "domain/funnel.h"

#include <set>

namespace scrm::domain {

std::optional<Funnel> Funnel::Create(std::vector<Stage> stages, std::string lost) {
  if (stages.size() < 2 || lost.empty()) return std::nullopt;
  std::set<std::string> names{lost};
  for (const auto& s : stages) {
    if (s.name.empty() || s.sla_days < 0 || !names.insert(s.name).second) return std::nullopt;
  }
  return Funnel(std::move(stages), std::move(lost));
}

Funnel Funnel::Default() {
  return *Create({{"线索", 7},
                  {"需求调研", 14},
                  {"方案报价", 14},
                  {"合同谈判", 21},
                  {"回款跟进", 30},
                  {"成交", 0}},
                 "输单");
}

std::vector<std::string> Funnel::names() const {
  std::vector<std::string> out;
  for (const Stage& s : stages_) out.push_back(s.name);
  return out;
}

std::optional<int> Funnel::IndexOf(std::string_view name) const {
  for (std::size_t i = 0; i < stages_.size(); ++i) {
    if (stages_[i].name == name) return static_cast<int>(i);
  }
  return std::nullopt;
}

std::optional<MoveError> Funnel::CheckMove(std::string_view from, std::string_view to) const {
  if (!Knows(to)) return MoveError::kUnknownStage;
  if (IsClosed(from)) return MoveError::kClosed;
  if (from == to) return MoveError::kSameStage;
  return std::nullopt;
}

int Funnel::SlaDays(std::string_view stage) const {
  auto i = IndexOf(stage);
  return i ? stages_[static_cast<std::size_t>(*i)].sla_days : 0;
}

bool Funnel::IsStuck(std::string_view stage, std::int64_t entered_at, std::int64_t now) const {
  int days = SlaDays(stage);
  return days > 0 && !IsClosed(stage) && now - entered_at > std::int64_t{days} * 86400;
}

}  // namespace scrm::domain
