// The sales funnel: ordered stages, each with a time limit (SLA, days), a
// won stage at the end, and a lost outcome reachable from any open stage.
// Stages come from configuration; Default() is the standard SOP.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace scrm::domain {

struct Stage {
  std::string name;
  int sla_days = 0;  // 0: no limit (the won stage)
};

enum class MoveError {
  kUnknownStage,  // no stage of that name
  kClosed,        // the deal is already won or lost
  kSameStage,     // already there
};

class Funnel {
 public:
  // `stages` in order, the last one being "won"; `lost` names the lost
  // outcome. Returns nullopt when fewer than two stages are given, a name is
  // empty or repeated, or `lost` clashes with a stage.
  static std::optional<Funnel> Create(std::vector<Stage> stages, std::string lost);
  // 线索 → 需求调研 → 方案报价 → 合同谈判 → 回款跟进 → 成交, and 输单.
  static Funnel Default();

  const std::vector<Stage>& stages() const { return stages_; }
  std::vector<std::string> names() const;  // the stages' names, in order
  const std::string& first() const { return stages_.front().name; }
  const std::string& won() const { return stages_.back().name; }
  const std::string& lost() const { return lost_; }
  // The stage's position, or nullopt (lost has none).
  std::optional<int> IndexOf(std::string_view name) const;
  bool IsClosed(std::string_view stage) const { return stage == won() || stage == lost_; }
  // Whether `to` names a stage or the lost outcome.
  bool Knows(std::string_view to) const { return IndexOf(to) || to == lost_; }

  // Whether a deal at `from` may move to `to` (forward, back, won or lost),
  // or why not.
  std::optional<MoveError> CheckMove(std::string_view from, std::string_view to) const;
  // The SLA of `stage` in days (0 for none or unknown).
  int SlaDays(std::string_view stage) const;
  // Whether a deal that entered `stage` at `entered_at` is past its SLA at
  // `now` (epoch seconds).
  bool IsStuck(std::string_view stage, std::int64_t entered_at, std::int64_t now) const;

 private:
  Funnel(std::vector<Stage> stages, std::string lost)
      : stages_(std::move(stages)), lost_(std::move(lost)) {}
  std::vector<Stage> stages_;
  std::string lost_;
};

}  // namespace scrm::domain
