#include "bot/rep_commands.h"

#include <algorithm>

#include "bot/approvals.h"
#include "bot/commands.h"
#include "bot/digest.h"
#include "bot/dispatch.h"
#include "bot/local_time.h"
#include "domain/authority.h"
#include "domain/schedule.h"
#include "storage/crm.h"
#include "storage/reports.h"
#include "wecom/cards.h"
#include "wecom/messages.h"

namespace scrm::bot {
namespace {

using domain::Customer;
using domain::Deal;

using domain::FormatYuan;

// How much of an unknown message the hint quotes: 60 bytes and "…".
constexpr std::size_t kQuoted = 60 + std::string_view("…").size();

// One command run for one rep: the replies it collects.
class Run {
 public:
  Run(storage::Connection& c, const std::string& rep, const CrmContext& ctx)
      : c_(c), rep_(rep), ctx_(ctx) {}

  Messages Execute(const Command& command) {
    Handle(command, 0);
    return std::move(out_);
  }

 private:
  void Say(const std::string& name, const View& view) {
    auto more = AnswerTo(rep_, ctx_.config.wecom.agent_id, ctx_.templates.RenderView(name, view));
    out_.insert(out_.end(), more.begin(), more.end());
  }
  const std::string& Zone() const { return ctx_.config.schedule.timezone; }
  std::string When(std::int64_t t) const { return t > 0 ? LocalDateTime(t, Zone()) : "无"; }

  std::optional<Customer> Resolve(const std::string& ref, const std::string& command);
  // The customer and the text after it: a name of several words when one of
  // `longer` names a visible customer exactly ("Tom Lee"), else `first`.
  std::pair<std::string, std::string> Split(const std::string& first, const std::string& rest,
                                            const cmd::LongerNames& longer);
  void Refresh(Customer& customer);
  void Touch(Customer& customer);
  Deal OpenOrNewDeal(const Customer& customer);
  std::string EndedBefore(const Deal& deal);
  void Store(Deal& deal);
  // 输单 or 成交 for a customer without an open deal: says so, changes
  // nothing.
  void NoOpenDeal(const Customer& customer, const std::string& stage);
  // The deal a payment goes to: the open one once quoted, else a won one
  // with something still to pay (marked 成交 by hand before the last
  // payment).
  std::optional<Deal> PayableDeal(std::int64_t customer_id, domain::Fen amount);

  void Card(const cmd::ShowCustomer& c);
  void FollowUp(const cmd::Follow& c);
  void Stage(const cmd::MoveStage& c);
  void QuoteDeal(const cmd::Quote& c);
  void Payment(const cmd::Paid& c);
  bool AmountLeftOut(const std::string& named, const char* command);
  bool AmountLeftOut(const Customer& customer, const std::string& named, const char* command);
  void Lose(const cmd::Lost& c);
  void Tier(const cmd::SetTier& c);
  void Todo();
  void Funnel();
  void Choose(const cmd::Choose& c, int depth);
  void Handle(const Command& command, int depth);

  storage::Connection& c_;
  const std::string& rep_;
  const CrmContext& ctx_;
  Messages out_;
};

// The command as text with {} where the customer goes, to run again once the
// rep picks one of several customers.
constexpr const char* kShowPattern = "客户 {}";  // the one that changes nothing
struct PatternOf {
  std::string operator()(const cmd::ShowCustomer&) const { return kShowPattern; }
  std::string operator()(const cmd::Follow& c) const { return "跟进 {} " + c.content; }
  std::string operator()(const cmd::MoveStage& c) const { return "阶段 {} " + c.stage; }
  std::string operator()(const cmd::Quote& c) const {
    std::string s = "报价 {} " + domain::FormatPlain(c.amount);
    return c.discount_bp ? s + " 折扣 " + domain::FormatPercent(c.discount_bp) : s;
  }
  std::string operator()(const cmd::Paid& c) const {
    return "回款 {} " + domain::FormatPlain(c.amount);
  }
  std::string operator()(const cmd::Lost& c) const { return "输单 {} " + c.reason; }
  std::string operator()(const cmd::SetTier& c) const { return std::string("分级 {} ") + c.tier; }
  template <class Other>
  std::string operator()(const Other&) const {
    return "";
  }
};

std::string Pattern(const Command& command) { return std::visit(PatternOf{}, command); }

// How many matching customers a numbered choice lists.
constexpr std::size_t kListed = 10;
// How many due customers the list of what is due shows.
constexpr std::size_t kDueListed = 50;

// A name as compared when the typed one finds nothing: full-width letters
// and brackets as half-width, spaces single, Latin letters in lower case.
std::string Folded(std::string_view text) { return Lower(NormalizeText(text)); }

bool HasLatin(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char ch) { return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); });
}

// A customer of `owners` whose whole name or remark `text` is, by the index:
// as typed, with full-width characters and spaces made plain ("Tom　Lee"),
// or with Latin letters in another case ("tom lee"); with the form of
// `text` that matched.
std::optional<std::pair<Customer, std::string>> FindWhole(storage::Connection& c,
                                                          const storage::Owners& owners,
                                                          const std::string& text) {
  auto found = storage::FindExactly(c, owners, text, 1);
  if (!found.empty()) return std::pair{found[0], text};
  std::string half = NormalizeText(text);
  if (half != text) found = storage::FindExactly(c, owners, half, 1);
  if (found.empty() && HasLatin(half)) {
    found = storage::FindExactly(c, owners, half, 1, storage::Case::kAny);
  }
  if (found.empty()) return std::nullopt;
  return std::pair{found[0], half};
}

// The customers `ref` names: those it names exactly (name or remark) as
// typed, else those it names exactly folded (Folded), else those whose name,
// remark or company contains it as typed or folded, so that "ABC" finds
// "ABC科技" and "ＡＢＣ贸易" alike, and "tom lee" finds "Tom Lee". At most
// `limit`.
std::vector<Customer> FindByName(storage::Connection& c, const storage::Owners& owners,
                                 const std::string& ref, int limit) {
  auto found = storage::FindCustomers(c, owners, ref, limit);
  if (!found.empty() && (found[0].name == ref || found[0].remark == ref)) return found;
  // Names that contain it as typed might hide one that it names exactly
  // once folded ("lucy" for Lucy among "lucy介绍的张总" and others): a scan
  // of every visible customer. Not for a name that folding leaves as it is
  // and that has no Latin letter ("王"): the scan would find the same.
  std::string folded_ref = Folded(ref);
  if (found.size() >= 2 && folded_ref == ref && !HasLatin(ref)) return found;
  auto folded = storage::FindFolded(c, owners, folded_ref, Folded, limit);
  bool exact = !folded.empty() &&
               (Folded(folded[0].name) == folded_ref || Folded(folded[0].remark) == folded_ref);
  if (exact) return folded;
  for (auto& x : folded) {
    bool known = std::any_of(found.begin(), found.end(), [&](auto& y) { return y.id == x.id; });
    if (!known) found.push_back(std::move(x));
  }
  std::sort(found.begin(), found.end(), [](auto& a, auto& b) { return a.id < b.id; });
  if (found.size() > static_cast<std::size_t>(limit)) found.resize(limit);
  return found;
}

// Whether `found`, the one customer `ref` matched, is only a guess: one
// character that is part of their name, remark or company ("了" in
// "输单了，王总预算砍了" is not a customer to mark lost without asking; a
// card to look at may be shown).
bool OnlyGuessed(const std::string& ref, const Customer& found) {
  std::string folded = Folded(ref);
  auto chars = std::count_if(folded.begin(), folded.end(), [](char ch) {
    return (static_cast<unsigned char>(ch) & 0xC0) != 0x80;
  });
  return chars == 1 && Folded(found.name) != folded && Folded(found.remark) != folded;
}

std::optional<Customer> Run::Resolve(const std::string& ref, const std::string& command) {
  std::vector<Customer> found;
  if (ref.size() > 1 && ref[0] == '#' &&
      ref.find_first_not_of("0123456789", 1) == std::string::npos && ref.size() < 18) {
    auto c = storage::CustomerById(c_, std::stoll(ref.substr(1)));
    if (c && ctx_.org.CanSee(rep_, c->owner)) found.push_back(*c);
  } else {
    // One more than are listed, to know whether there are more.
    found = FindByName(c_, ctx_.org.Visible(rep_), ref, static_cast<int>(kListed) + 1);
  }
  if (found.size() == 1 && (command == kShowPattern || !OnlyGuessed(ref, found[0]))) {
    return found[0];
  }
  if (found.empty()) {
    Say("customer_not_found", {{{"query", Echo(ref)}}, {}});
    return std::nullopt;
  }
  storage::PendingChoice choice{command, {}, ctx_.now};
  View view{{{"query", Echo(ref)},
             {"more", found.size() > kListed ? "1" : ""},
             {"single", found.size() == 1 ? "1" : ""}},
            {}};
  if (found.size() > kListed) found.resize(kListed);
  for (std::size_t i = 0; i < found.size(); ++i) {
    choice.candidates.push_back(found[i].id);
    view.lists["candidates"].push_back({{"n", std::to_string(i + 1)},
                                        {"name", DisplayName(found[i].name)},
                                        {"company", found[i].company},
                                        {"id", std::to_string(found[i].id)},
                                        {"owner", ctx_.org.NameOf(found[i].owner)}});
  }
  bool others =
      std::any_of(found.begin(), found.end(), [&](const Customer& c) { return c.owner != rep_; });
  view.vars["owners"] = others ? "1" : "";
  storage::SavePendingChoice(c_, rep_, choice);
  Say("choose_customer", view);
  return std::nullopt;
}

void Run::Refresh(Customer& customer) { RefreshCustomer(c_, customer, ctx_); }

// The rep dealt with the customer just now (their silence ends), then the
// refresh.
void Run::Touch(Customer& customer) {
  customer.last_contact_at = ctx_.now;
  Refresh(customer);
}

// The customer's open deal, or a new one at the first stage (not stored
// yet: its id is 0 until Store()).
Deal Run::OpenOrNewDeal(const Customer& customer) {
  if (auto open = storage::OpenDeal(c_, customer.id)) return *open;
  Deal deal;
  deal.customer_id = customer.id;
  deal.owner = customer.owner;
  deal.stage = ctx_.funnel.first();
  deal.created_at = ctx_.now;
  deal.stage_entered_at = ctx_.now;
  return deal;
}

// For a new deal (not stored yet): how the customer's last one ended, 已成交
// or 已输单; empty for their first deal and for one that exists.
std::string Run::EndedBefore(const Deal& deal) {
  if (deal.id != 0) return "";
  auto latest = storage::LatestDeal(c_, deal.customer_id);
  if (!latest) return "";
  return latest->stage == ctx_.funnel.won() ? "已成交" : "已输单";
}

void Run::Store(Deal& deal) {
  if (deal.id == 0) {
    deal.id = storage::InsertDeal(c_, deal);
  } else {
    storage::UpdateDeal(c_, deal);
  }
}

void Run::Card(const cmd::ShowCustomer& cmd) {
  auto customer = Resolve(cmd.customer, kShowPattern);
  if (!customer) return;
  auto deal = storage::OpenDeal(c_, customer->id);
  if (!deal) deal = storage::LatestDeal(c_, customer->id);
  auto last = storage::LastFollowUp(c_, customer->id);
  Say("customer_card", {{{"name", DisplayName(customer->name)},
                         {"id", std::to_string(customer->id)},
                         {"company", customer->company},
                         {"tier", std::string(1, customer->tier)},
                         // As of now, not as of the last change (a customer never contacted
                         // is not 新客户 for ever).
                         {"lifecycle", std::string(domain::LifecycleName(domain::ClassifyLifecycle(
                                           *customer, ctx_.now, ctx_.config.crm.tiering)))},
                         {"owner", ctx_.org.NameOf(customer->owner)},
                         {"channel", customer->channel},
                         {"stage", deal ? deal->stage : "暂无商机"},
                         {"amount", deal && deal->amount > 0 ? FormatYuan(deal->amount) : ""},
                         {"last_follow_up", last ? When(last->at) : "暂无"},
                         {"last_content", last ? wecom::TruncateChars(last->content, 40) : ""},
                         {"next_follow_up", When(customer->next_follow_up_at)}},
                        {}});
}

std::pair<std::string, std::string> Run::Split(const std::string& first, const std::string& rest,
                                               const cmd::LongerNames& longer) {
  auto owners = ctx_.org.Visible(rep_);
  for (const auto& [name, text] : longer) {
    if (auto whole = FindWhole(c_, owners, name)) return {whole->second, text};
  }
  // The first word names one exactly ("跟进 王总 PPT 已发"): no need to look
  // further.
  if (!storage::FindExactly(c_, owners, first, 1).empty()) return {first, rest};
  for (const auto& [name, text] : longer) {
    // Full-width letters in another case: compared folded (a scan of every
    // visible customer, so only for such names).
    if (NormalizeText(name) == name) continue;
    std::string folded = Folded(name);
    auto found = storage::FindFolded(c_, owners, folded, Folded, 1);
    if (!found.empty() && (Folded(found[0].name) == folded || Folded(found[0].remark) == folded)) {
      return {name, text};
    }
  }
  return {first, rest};
}

void Run::FollowUp(const cmd::Follow& typed) {
  auto [ref, content] = Split(typed.customer, typed.content, typed.longer);
  if (content.empty()) {  // "跟进 Tom Lee，": the name, and nothing after it
    return Say(
        "command_error",
        {{{"command", "跟进"}, {"problem", "请写明客户和跟进内容"}, {"usage", Usage("跟进")}}, {}});
  }
  cmd::Follow cmd{ref, content, {}};
  auto customer = Resolve(cmd.customer, "跟进 {} " + cmd.content);
  if (!customer) return;
  storage::InsertFollowUp(c_, {customer->id, rep_, cmd.content, ctx_.now});
  customer->last_follow_up_at = ctx_.now;
  Touch(*customer);
  Say("follow_recorded", {{{"name", DisplayName(customer->name)},
                           {"id", std::to_string(customer->id)},
                           {"next_follow_up", When(customer->next_follow_up_at)}},
                          {}});
}

// The configured stage (or lost outcome) a rep typed, compared with both
// folded to half-width ("POC(试用)" for "POC（试用）"); as typed if none.
std::string ConfiguredStage(const domain::Funnel& funnel, const std::string& typed) {
  std::vector<std::string> names = funnel.names();
  names.push_back(funnel.lost());
  std::string folded = NormalizeText(typed);
  for (const auto& name : names) {
    if (NormalizeText(name) == folded) return name;
  }
  return typed;
}

void Run::Stage(const cmd::MoveStage& typed) {
  const cmd::MoveStage cmd{typed.customer, ConfiguredStage(ctx_.funnel, typed.stage)};
  auto customer = Resolve(cmd.customer, "阶段 {} " + cmd.stage);
  if (!customer) return;
  bool ends = cmd.stage == ctx_.funnel.lost() || cmd.stage == ctx_.funnel.won();
  if (ends && !storage::OpenDeal(c_, customer->id)) {
    return NoOpenDeal(*customer, cmd.stage);  // not a new deal only to end it
  }
  if (cmd.stage == ctx_.funnel.won() && storage::OpenDeal(c_, customer->id)->amount <= 0) {
    // A win of ¥0 counts in the review, and its payments could never be
    // recorded: the price comes first.
    return Say("command_error",
               {{{"command", "阶段"},
                 {"problem", DisplayName(customer->name) + " 的商机还没有报价，不能直接成交"},
                 {"hint", "先发「报价 " + DisplayName(customer->name) + " <金额>」"}},
                {}});
  }
  if (cmd.stage == ctx_.funnel.lost()) {
    // A lost deal without its reason is a blank line in the weekly review.
    return Say("command_error", {{{"command", "阶段"},
                                  {"problem", "输单请写明原因"},
                                  {"usage", "输单 " + DisplayName(customer->name) + " <原因>"}},
                                 {}});
  }
  Deal deal = OpenOrNewDeal(*customer);
  // No open deal: the move starts a new one (repeat business, or the rep
  // thinks a closed deal is still going), and the answer says so.
  bool fresh = deal.id == 0;
  std::string previous = EndedBefore(deal);
  std::string from = deal.stage;
  if (fresh && cmd.stage == deal.stage) {  // a new deal at the first stage
    Store(deal);
    Touch(*customer);
    return Say("stage_moved", {{{"name", DisplayName(customer->name)},
                                {"id", std::to_string(customer->id)},
                                {"to", cmd.stage},
                                {"new_deal", "1"},
                                {"previous", previous}},
                               {}});
  }
  if (auto error = ctx_.funnel.CheckMove(deal.stage, cmd.stage)) {
    View view{
        {{"name", DisplayName(customer->name)}, {"stage", Echo(cmd.stage)}, {"has_stages", "1"}},
        {}};
    view.vars["reason"] = *error == domain::MoveError::kUnknownStage ? "没有这个阶段"
                          : *error == domain::MoveError::kSameStage  ? "已经在这个阶段"
                                                                     : "商机已经结束";
    for (const auto& s : ctx_.funnel.stages()) view.lists["stages"].push_back({{"name", s.name}});
    return Say("stage_error", view);  // (a lost deal goes through 输单, with its reason)
  }
  MoveDeal(c_, deal, *customer, cmd.stage, rep_, ctx_);
  Store(deal);
  Touch(*customer);
  Say("stage_moved", {{{"name", DisplayName(customer->name)},
                       {"id", std::to_string(customer->id)},
                       {"from", from},
                       {"to", cmd.stage},
                       {"new_deal", fresh ? "1" : ""},
                       {"previous", previous},
                       {"won", cmd.stage == ctx_.funnel.won() ? "1" : ""},
                       {"revisit_days", std::to_string(ctx_.config.crm.cadence.post_win_days)}},
                      {}});
}

void Run::QuoteDeal(const cmd::Quote& cmd) {
  if (AmountLeftOut(cmd.named, "报价")) return;
  auto customer = Resolve(cmd.customer, Pattern(cmd));
  if (!customer || AmountLeftOut(*customer, cmd.named, "报价")) return;
  if (domain::ApplyDiscount(cmd.amount, cmd.discount_bp) <= 0) {
    return Say("command_error", {{{"command", "报价"},
                                  {"problem", "折后金额为 ¥0.00，报价未记录"},
                                  {"usage", Usage("报价")}},
                                 {}});
  }
  bool beyond = domain::NeedsApproval(cmd.amount, cmd.discount_bp, ctx_.config.crm.authority);
  bool approver = !ctx_.org.ManagerOf(rep_).empty();
  if (beyond && !approver && !ctx_.org.IsManager(rep_)) {
    // Beyond the rep's authority and nobody to approve it (a manager at the
    // top decides alone): nothing changes.
    return Say("command_error", {{{"command", "报价"},
                                  {"problem", "超出你的折扣权限，且没有可以审批的主管，报价未记录"},
                                  {"hint", "在权限内重新报价，或请管理员为你的团队设置主管"}},
                                 {}});
  }
  Deal deal = OpenOrNewDeal(*customer);
  if (deal.paid > 0 && domain::ApplyDiscount(cmd.amount, cmd.discount_bp) < deal.paid) {
    // Less than has been paid: the deal could never be paid off or won.
    return Say("command_error",
               {{{"command", "报价"},
                 {"problem", DisplayName(customer->name) + " 已回款 ¥" + FormatYuan(deal.paid) +
                                 "，新报价不能低于已回款，报价未记录"},
                 {"usage", Usage("报价")}},
                {}});
  }
  if (beyond && approver) {
    Store(deal);       // the deal keeps its current quote until the manager decides
    Touch(*customer);  // the rep is dealing with them (and a new deal ends a loss)
    Deal proposed = deal;
    proposed.list_amount = cmd.amount;
    proposed.discount_bp = cmd.discount_bp;
    proposed.amount = domain::ApplyDiscount(cmd.amount, cmd.discount_bp);
    auto asked = RequestApproval(c_, rep_, *customer, proposed, ctx_);
    out_.insert(out_.end(), asked.begin(), asked.end());
    return;
  }
  std::string previous = EndedBefore(deal);
  deal.list_amount = cmd.amount;
  deal.discount_bp = cmd.discount_bp;
  deal.amount = domain::ApplyDiscount(cmd.amount, cmd.discount_bp);
  AdvanceDeal(c_, deal, ctx_.config.crm.quote_stage, rep_, ctx_);  // a quote has been sent
  // A new price equal to what has been paid pays the deal off.
  bool won = WinIfPaidOff(c_, deal, *customer, rep_, ctx_);
  Store(deal);
  storage::InsertQuote(c_, deal, rep_, ctx_.now);
  Touch(*customer);
  Say("quote_recorded",
      {{{"name", DisplayName(customer->name)},
        {"id", std::to_string(customer->id)},
        {"amount", FormatYuan(deal.amount)},
        {"list_amount", FormatYuan(deal.list_amount)},
        {"discount", cmd.discount_bp ? domain::FormatPercent(cmd.discount_bp) : ""},
        {"stage", deal.stage},
        {"previous", previous},
        {"won", won ? "1" : ""}},
       {}});
}

// Whether `named`, the customer and the amount as the rep typed them, is a
// customer's whole name or remark: "回款 Lucy 520" with a customer "Lucy
// 520" is their name with the amount left out, as often as it is ¥520 for
// "Lucy". Nothing is recorded then (nor a choice offered), and the rep is
// told how to write either. Asked before the customer is looked up, with
// the index; and of the customer found, whose name the index may hold in
// another form ("Room　101" with a full-width space).
bool Run::AmountLeftOut(const std::string& named, const char* command) {
  auto whole = FindWhole(c_, ctx_.org.Visible(rep_), named);
  return whole && AmountLeftOut(whole->first, named, command);
}

bool Run::AmountLeftOut(const Customer& customer, const std::string& named, const char* command) {
  std::string folded = Folded(named);
  bool name = Folded(customer.name) == folded;
  if (!name && Folded(customer.remark) != folded) return false;
  Say("command_error", {{{"command", command},
                         {"problem", "“" + Echo(named) + "”就是客户 " + DisplayName(customer.name) +
                                         (name ? " 的名字" : " 的备注名") + "，金额像是漏写了，" +
                                         command + "未记录"},
                         {"hint", "名字后面写上带单位的金额，如：" + std::string(command) + " " +
                                      Echo(named) + " 2万；数字本身就是金额的话，在它后面加“元”"}},
                        {}});
  return true;
}

void Run::Payment(const cmd::Paid& cmd) {
  if (AmountLeftOut(cmd.named, "回款")) return;
  auto customer = Resolve(cmd.customer, Pattern(cmd));
  if (!customer || AmountLeftOut(*customer, cmd.named, "回款")) return;
  auto payable = PayableDeal(customer->id, cmd.amount);
  if (!payable) {
    // A payment against nothing quoted would make a deal that can never be
    // paid off: nothing changes.
    return Say("command_error",
               {{{"command", "回款"},
                 {"problem", DisplayName(customer->name) + " 没有已报价、待回款的商机，回款未记录"},
                 {"hint", "先发「报价 <客户> <金额>」，再记录回款"}},
                {}});
  }
  Deal deal = *payable;
  domain::Fen owed = deal.amount - deal.paid;
  if (cmd.amount > owed) {
    // More than is owed is a typo far more often than a real payment.
    return Say("command_error",
               {{{"command", "回款"},
                 {"problem", "¥" + FormatYuan(cmd.amount) + " 超过 " + DisplayName(customer->name) +
                                 " 的待回款 ¥" + FormatYuan(owed) + "，回款未记录"},
                 {"hint", "核对金额后重新发送；报价变了请先发「报价 <客户> <金额>」"}},
                {}});
  }
  bool was_won = deal.stage == ctx_.funnel.won();
  deal.paid += cmd.amount;
  customer->paid_total += cmd.amount;
  // Credited to the deal's rep, whoever records it (a manager, say): the
  // digests rank reps by what their deals brought in.
  storage::InsertPayment(c_, deal.id, customer->id, deal.owner, cmd.amount, ctx_.now);
  bool settled = deal.paid >= deal.amount;
  if (!was_won && !WinIfPaidOff(c_, deal, *customer, rep_, ctx_)) {
    AdvanceDeal(c_, deal, ctx_.config.crm.payment_stage, rep_, ctx_);
  }
  Store(deal);
  Touch(*customer);
  domain::Fen remaining = deal.amount - deal.paid;
  Say("payment_recorded", {{{"name", DisplayName(customer->name)},
                            {"id", std::to_string(customer->id)},
                            {"amount", FormatYuan(cmd.amount)},
                            {"paid", FormatYuan(deal.paid)},
                            {"remaining", remaining > 0 ? FormatYuan(remaining) : ""},
                            {"won", settled && !was_won ? "1" : ""},
                            {"settled", settled && was_won ? "1" : ""},
                            {"to_won", was_won ? "1" : ""}},
                           {}});
}

// The deal a payment goes to. A deal won before it was paid off is still
// owed the rest: a payment that fits that rest settles it first (the
// oldest debt first, as in the books), even when a new deal is open;
// otherwise the open deal takes it, once it has a quote.
std::optional<Deal> Run::PayableDeal(std::int64_t customer_id, domain::Fen amount) {
  auto owing = storage::OldestOwingDeal(c_, customer_id, ctx_.funnel.won());
  auto open = storage::OpenDeal(c_, customer_id);
  bool quoted = open && open->amount > 0;
  if (owing && (amount <= owing->amount - owing->paid || !quoted)) return owing;
  if (quoted) return open;
  return std::nullopt;
}

void Run::Lose(const cmd::Lost& typed) {
  auto [ref, typed_reason] = Split(typed.customer, typed.reason, typed.longer);
  std::string reason = WithoutEndPunctuation(typed_reason);
  if (reason.empty()) {
    return Say(
        "command_error",
        {{{"command", "输单"}, {"problem", "请写明客户和输单原因"}, {"usage", Usage("输单")}}, {}});
  }
  cmd::Lost cmd{ref, reason, {}};
  auto customer = Resolve(cmd.customer, "输单 {} " + cmd.reason);
  if (!customer) return;
  auto deal = storage::OpenDeal(c_, customer->id);
  if (!deal) return NoOpenDeal(*customer, ctx_.funnel.lost());
  deal->lost_reason = cmd.reason;
  MoveDeal(c_, *deal, *customer, ctx_.funnel.lost(), rep_, ctx_);
  storage::UpdateDeal(c_, *deal);
  Touch(*customer);
  Say("deal_lost", {{{"name", DisplayName(customer->name)},
                     {"id", std::to_string(customer->id)},
                     {"reason", cmd.reason}},
                    {}});
}

void Run::NoOpenDeal(const Customer& customer, const std::string& stage) {
  Say("stage_error",
      {{{"name", DisplayName(customer.name)}, {"stage", stage}, {"reason", "没有进行中的商机"}},
       {}});
}

void Run::Tier(const cmd::SetTier& cmd) {
  auto customer = Resolve(cmd.customer, Pattern(cmd));
  if (!customer) return;
  customer->tier = cmd.tier;
  customer->tier_manual = true;
  customer->tier_from_tag = false;
  Refresh(*customer);
  Say("tier_set", {{{"name", DisplayName(customer->name)},
                    {"id", std::to_string(customer->id)},
                    {"tier", std::string(1, cmd.tier)},
                    {"next_follow_up", When(customer->next_follow_up_at)}},
                   {}});
}

void Run::Todo() {
  View view;
  // One more than are listed, to know whether there are more.
  auto due = storage::DueCustomers(c_, {rep_}, EndOfLocalDay(ctx_.now, Zone()), kDueListed + 1);
  if (due.size() > kDueListed) {
    due.resize(kDueListed);
    view.vars["more"] = "1";
  }
  for (const auto& c : due) {
    view.lists["due"].push_back({{"name", DisplayName(c.name)},
                                 {"id", std::to_string(c.id)},
                                 {"when", When(c.next_follow_up_at)},
                                 {"overdue", c.next_follow_up_at < ctx_.now ? "1" : ""}});
  }
  for (const auto& deal : storage::OpenDeals(c_, {rep_})) {
    if (!ctx_.funnel.IsStuck(deal.stage, deal.stage_entered_at, ctx_.now)) continue;
    // Not the deals of customers the rep has deleted (the reminders skip
    // them too).
    auto customer = storage::CustomerById(c_, deal.customer_id);
    if (!customer || storage::CustomerRemoved(c_, customer->id)) continue;
    view.lists["stuck"].push_back(
        {{"name", DisplayName(customer->name)},
         {"id", std::to_string(deal.customer_id)},
         {"stage", deal.stage},
         {"days", std::to_string((ctx_.now - deal.stage_entered_at) / 86400)}});
  }
  if (view.lists["due"].empty() && view.lists["stuck"].empty()) view.vars["empty"] = "1";
  Say("todo", view);
}

void Run::Funnel() {
  auto owners = ctx_.org.Visible(rep_);
  std::map<std::string, std::pair<int, domain::Fen>> by_stage;
  int count = 0;
  domain::Fen total = 0;
  for (const auto& deal : storage::OpenDeals(c_, owners)) {
    auto& [n, amount] = by_stage[deal.stage];
    ++n;
    amount += deal.amount;
    ++count;
    total += deal.amount;
  }
  View view{{{"scope", owners.size() > 1 ? "团队" : "我"},
             {"count", std::to_string(count)},
             {"amount", FormatYuan(total)}},
            {}};
  if (count == 0) view.vars["empty"] = "1";
  for (const auto& stage : ctx_.funnel.stages()) {
    if (stage.name == ctx_.funnel.won()) continue;  // open deals only
    auto [n, amount] = by_stage[stage.name];
    view.lists["stages"].push_back(
        {{"name", stage.name}, {"count", std::to_string(n)}, {"amount", FormatYuan(amount)}});
  }
  Say("funnel", view);
}

void Run::Choose(const cmd::Choose& cmd, int depth) {
  if (depth > 0) return Say("unknown_command", {{{"text", std::to_string(cmd.number)}}, {}});
  std::int64_t not_before = ctx_.now - std::int64_t{ctx_.config.crm.choice_minutes} * 60;
  auto choice = storage::TakePendingChoice(c_, rep_, not_before);
  std::string number = std::to_string(cmd.number);
  if (!choice) {
    return Say("command_error",
               {{{"command", number},
                 {"problem", "没有待选择的客户列表（列表 " +
                                 std::to_string(ctx_.config.crm.choice_minutes) + " 分钟内有效）"},
                 {"hint", "重新发送命令，再按列表回复序号"}},
                {}});
  }
  auto count = static_cast<int>(choice->candidates.size());
  if (cmd.number < 1 || cmd.number > count) {
    storage::SavePendingChoice(c_, rep_, *choice);  // the list stays for another try
    return Say("command_error", {{{"command", number},
                                  {"problem", "序号超出范围"},
                                  {"hint", "回复 1 到 " + std::to_string(count) + " 之间的序号"}},
                                 {}});
  }
  std::string text = choice->command;
  auto at = text.find("{}");
  if (at == std::string::npos) return;
  text.replace(at, 2,
               "#" + std::to_string(choice->candidates[static_cast<std::size_t>(cmd.number - 1)]));
  Handle(ParseCommand(text), depth + 1);
}

void Run::Handle(const Command& command, int depth) {
  std::visit(
      [&](const auto& c) {
        using T = std::decay_t<decltype(c)>;
        if constexpr (std::is_same_v<T, cmd::Help>) {
          Say("help", {});
        } else if constexpr (std::is_same_v<T, cmd::ShowCustomer>) {
          Card(c);
        } else if constexpr (std::is_same_v<T, cmd::Follow>) {
          FollowUp(c);
        } else if constexpr (std::is_same_v<T, cmd::MoveStage>) {
          Stage(c);
        } else if constexpr (std::is_same_v<T, cmd::Quote>) {
          QuoteDeal(c);
        } else if constexpr (std::is_same_v<T, cmd::Paid>) {
          Payment(c);
        } else if constexpr (std::is_same_v<T, cmd::Lost>) {
          Lose(c);
        } else if constexpr (std::is_same_v<T, cmd::SetTier>) {
          Tier(c);
        } else if constexpr (std::is_same_v<T, cmd::Todo>) {
          Todo();
        } else if constexpr (std::is_same_v<T, cmd::ShowFunnel>) {
          Funnel();
        } else if constexpr (std::is_same_v<T, cmd::Team>) {
          auto parts = AnswerTo(rep_, ctx_.config.wecom.agent_id, TeamView(c_, rep_, ctx_));
          out_.insert(out_.end(), parts.begin(), parts.end());
        } else if constexpr (std::is_same_v<T, cmd::Digest>) {
          auto text = DailyDigest(c_, rep_, domain::PreviousDay(ctx_.now, Zone()).from, ctx_);
          for (auto& body : wecom::MarkdownMessageBodies(rep_, ctx_.config.wecom.agent_id, text,
                                                         wecom::Repeats::kDelivered)) {
            out_.push_back({UserRecipient(rep_), wecom::kMessageSendPath, std::move(body)});
          }
        } else if constexpr (std::is_same_v<T, cmd::Choose>) {
          Choose(c, depth);
        } else if constexpr (std::is_same_v<T, cmd::Malformed>) {
          Say("command_error",
              {{{"command", c.command}, {"problem", c.problem}, {"usage", Usage(c.command)}}, {}});
        } else {
          Say("unknown_command",
              {{{"text", wecom::TruncateBytes(c.text, kQuoted)},
                {"closest", c.closest},
                {"usage", Usage(c.closest) == c.closest ? "" : Usage(c.closest)}},
               {}});
        }
      },
      command);
}

}  // namespace

Messages RunRepMessage(storage::Connection& c, const std::string& rep, const std::string& text,
                       const CrmContext& ctx) {
  Run run(c, rep, ctx);
  return run.Execute(ParseCommand(text));
}

Messages ReplyNotText(const std::string& rep, const std::string& what, const CrmContext& ctx) {
  return AnswerTo(rep, ctx.config.wecom.agent_id,
                  ctx.templates.RenderView("not_text", {{{"what", what}}, {}}));
}

}  // namespace scrm::bot
