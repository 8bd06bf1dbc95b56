#include "bot/approvals.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string_view>
#include <vector>

#include "bot/dispatch.h"
#include "domain/money.h"
#include "storage/crm.h"
#include "storage/reports.h"
#include "wecom/approval.h"
#include "wecom/cards.h"

namespace scrm::bot {
namespace {

using domain::FormatPercent;
using domain::FormatYuan;

// The `priced` of a quote's answer to the rep: its deal has a price (a
// rejected first quote leaves 商机暂无报价).
std::string Priced(const std::optional<domain::Deal>& deal) {
  return deal && deal->amount > 0 ? "1" : "";
}

std::string CustomerName(storage::Connection& c, std::int64_t id) {
  auto customer = storage::CustomerById(c, id);
  return customer ? DisplayName(customer->name) : "#" + std::to_string(id);
}

View QuoteView(storage::Connection& c, const storage::Quote& q, const CrmContext& ctx) {
  return {{{"rep", ctx.org.NameOf(q.rep)},
           {"name", CustomerName(c, q.customer_id)},
           {"id", std::to_string(q.customer_id)},
           {"amount", FormatYuan(q.amount)},
           {"list_amount", FormatYuan(q.list_amount)},
           {"discount", FormatPercent(q.discount_bp)},
           {"manager", ctx.org.NameOf(q.manager)}},
          {}};
}

Messages OaRequest(const storage::Quote& q, const std::string& customer, const CrmContext& ctx) {
  const ApprovalConfig& a = ctx.config.approval;
  wecom::ApprovalApplication app;
  app.creator_userid = q.rep;
  app.template_id = a.template_id;
  app.approvers = {q.manager};
  app.values = {
      {wecom::ApplyValue::Kind::kText, a.customer_control, customer},
      {wecom::ApplyValue::Kind::kMoney, a.amount_control, domain::FormatPlain(q.list_amount)},
      {wecom::ApplyValue::Kind::kNumber, a.discount_control, FormatPercent(q.discount_bp)}};
  app.summary = {"客户：" + customer, "报价：¥" + FormatYuan(q.amount),
                 "折扣：" + FormatPercent(q.discount_bp) + "%"};
  auto body = wecom::ApplyEventBody(app);
  if (!body) return {};
  return {{UserRecipient(q.rep), wecom::kApplyEventPath, *body,
           kApprovalSubmitted + std::to_string(q.id)}};
}

Messages CardRequest(storage::Connection& c, const storage::Quote& q, const CrmContext& ctx) {
  wecom::TemplateCard card;
  card.card_type = "button_interaction";
  card.task_id = "quote-" + std::to_string(q.id);
  card.title = "折扣审批";
  card.description = ctx.org.NameOf(q.rep) + " 申请超出权限的折扣";
  card.fields = {{"客户", CustomerName(c, q.customer_id)},
                 {"原价", "¥" + FormatYuan(q.list_amount)},
                 {"折扣", FormatPercent(q.discount_bp) + "%"},
                 {"报价", "¥" + FormatYuan(q.amount)}};
  card.buttons = {{"批准", 1, "approve:" + std::to_string(q.id)},
                  {"驳回", 2, "reject:" + std::to_string(q.id)}};
  auto body =
      wecom::TemplateCardMessageBody(wecom::Users({q.manager}), ctx.config.wecom.agent_id, card);
  if (!body) return {};
  return {{UserRecipient(q.manager), wecom::kMessageSendPath, *body,
           kApprovalCard + std::to_string(q.id)}};
}

// Applies a decision once: the deal takes the quote when approved (and is
// won when its payments reach it); the rep is told either way, and by whom
// (`decider`: the manager, or whoever the manager handed it to).
Messages Decide(storage::Connection& c, const storage::Quote& q, bool approved,
                const std::string& decider, const CrmContext& ctx) {
  auto deal = approved ? storage::OpenDeal(c, q.customer_id) : std::nullopt;
  auto customer = storage::CustomerById(c, q.customer_id);
  // Not when the deal has ended, or was quoted again while this waited (the
  // approval must not bring back an older price), or has been paid more
  // than this price meanwhile.
  // Nor when the customer has passed to someone the quoting rep does not
  // see (another team's rep): the deal is no longer theirs to price.
  bool current = deal && customer && deal->id == q.deal_id && ctx.org.CanSee(q.rep, deal->owner) &&
                 !storage::NewerQuote(c, q.deal_id, q.id);
  bool below_paid = current && q.amount < deal->paid;
  bool applied = current && !below_paid;
  std::string status = !approved ? "rejected" : applied ? "approved" : "overtaken";
  if (!storage::DecideQuote(c, q.id, status, ctx.now)) return {};
  bool won = false;
  if (applied) {
    deal->list_amount = q.list_amount;
    deal->discount_bp = q.discount_bp;
    deal->amount = q.amount;
    AdvanceDeal(c, *deal, ctx.config.crm.quote_stage, q.rep, ctx);  // the rep's quote
    won = WinIfPaidOff(c, *deal, *customer, q.rep, ctx);
    storage::UpdateDeal(c, *deal);
    RefreshCustomer(c, *customer, ctx);
  }
  View view = QuoteView(c, q, ctx);
  view.vars["manager"] = ctx.org.NameOf(decider);
  view.vars["priced"] = Priced(storage::DealById(c, q.deal_id));
  view.vars["approved"] = approved ? "1" : "";
  view.vars["applied"] = applied ? "1" : "";
  view.vars["won"] = won ? "1" : "";
  view.vars["below_paid"] = below_paid ? "1" : "";
  view.vars["paid"] = deal ? FormatYuan(deal->paid) : "";
  return AnswerTo(q.rep, ctx.config.wecom.agent_id,
                  ctx.templates.RenderView("quote_decided", view));
}

// The approval was revoked or deleted in WeCom: a waiting quote ends
// without effect; an approved one (revoked after it passed) is no longer
// approved, and the rep checks the deal's price (it is not changed back).
Messages Withdrawn(storage::Connection& c, const storage::Quote& q, int sp_status,
                   const CrmContext& ctx) {
  using Status = wecom::ApprovalStatus;
  // Revoked after it passed, its approval not seen yet (its callback comes
  // later, or never): ended like any withdrawal, before it could apply.
  bool after_approval =
      sp_status == static_cast<int>(Status::kRevokedAfterApproval) && q.status != "pending";
  bool changed = after_approval ? storage::WithdrawApprovedQuote(c, q.id, ctx.now)
                                : storage::DecideQuote(c, q.id, "withdrawn", ctx.now);
  if (!changed) return {};
  auto deal = storage::DealById(c, q.deal_id);
  View view = QuoteView(c, q, ctx);
  view.vars["priced"] = Priced(deal);
  view.vars["after"] = after_approval ? "1" : "";
  view.vars["deleted"] = sp_status == static_cast<int>(Status::kDeleted) ? "1" : "";
  view.vars["closed"] = deal && deal->closed_at > 0 ? "1" : "";
  return AnswerTo(q.rep, ctx.config.wecom.agent_id,
                  ctx.templates.RenderView("quote_withdrawn", view));
}

// Whether an approval in this state has ended (decided, revoked or deleted).
bool Ended(int sp_status) {
  using Status = wecom::ApprovalStatus;
  switch (static_cast<Status>(sp_status)) {
    case Status::kApproved:
    case Status::kRejected:
    case Status::kRevoked:
    case Status::kDeleted:
      return true;
    default:
      return false;
  }
}

// Who decided: the quote's manager, or, when the manager's line is 4 (转审),
// the first approver after it whose own line is the decision. `lines` holds
// (approver, the approver's own sp_status) pairs in the approval's order.
std::string Decider(const std::vector<std::pair<std::string, int>>& lines, bool approved,
                    const storage::Quote& q) {
  bool handed = false;
  for (const auto& [approver, status] : lines) {
    if (approver == q.manager) handed = status == 4;
    bool decided = approved ? status == 2 || status == 13 : status == 3;
    if (handed && decided && approver != q.manager && !approver.empty()) return approver;
  }
  return q.manager;
}

std::vector<std::pair<std::string, int>> LinesOf(
    const std::vector<wecom::ApprovalRecord>& records) {
  std::vector<std::pair<std::string, int>> lines;
  for (const auto& r : records) {
    for (const auto& d : r.details) lines.emplace_back(d.approver, d.sp_status);
  }
  return lines;
}

std::vector<std::pair<std::string, int>> LinesOf(
    const std::vector<wecom::ApprovalDecision>& decisions) {
  std::vector<std::pair<std::string, int>> lines;
  for (const auto& d : decisions) lines.emplace_back(d.approver, d.status);
  return lines;
}

// What the approval's state means for its quote, applied once; `lines` as
// for Decider.
Messages Settle(storage::Connection& c, const storage::Quote& q, int sp_status,
                const std::vector<std::pair<std::string, int>>& lines, const CrmContext& ctx) {
  using Status = wecom::ApprovalStatus;
  switch (static_cast<Status>(sp_status)) {
    case Status::kApproved:
    case Status::kRejected: {
      if (q.status != "pending") return {};
      bool approved = sp_status == static_cast<int>(Status::kApproved);
      return Decide(c, q, approved, Decider(lines, approved, q), ctx);
    }
    case Status::kRevoked:
    case Status::kDeleted:
    case Status::kRevokedAfterApproval:
      return Withdrawn(c, q, sp_status, ctx);
    default:  // still pending, or paid (not an approval of the bot's)
      return {};
  }
}

// A decision on an approval of the bot's template that is not on record:
// its form is read to find the quote.
Messages ReadUnknownApproval(const wecom::ApprovalInfo& info, const CrmContext& ctx) {
  const std::string& template_id = ctx.config.approval.template_id;
  if (!Ended(info.sp_status) || template_id.empty() || info.template_id != template_id ||
      info.applyer_user_id.empty()) {
    return {};
  }
  spdlog::info("approval {} of {} is not on record: reading its form", info.sp_no,
               info.applyer_user_id);
  return {{UserRecipient(info.applyer_user_id), wecom::kGetApprovalDetailPath,
           wecom::ApprovalDetailBody(info.sp_no), kApprovalDetail}};
}

// Whether the filled control agrees with the quote (a control the form does
// not have, or the bot does not fill, says nothing). Amounts and percents
// are compared as numbers: WeCom may write "80000" back as "80000.00".
bool Agrees(const wecom::ApplyValue& v, const storage::Quote& q, const std::string& customer,
            const ApprovalConfig& a) {
  if (v.id == a.customer_control) return v.value == customer;
  // A percent with two decimals reads as hundredths, as yuan read as fen.
  if (v.id == a.amount_control) return domain::ParseAmount(v.value) == q.list_amount;
  if (v.id == a.discount_control) return domain::ParseAmount(v.value) == q.discount_bp;
  return true;
}

// How far WeCom's clock may be behind the bot's when it dates a request the
// bot files right after recording its quote.
constexpr std::int64_t kFiledSkewSeconds = 300;

// The applicant's pending quotes that the form describes, made before it
// was filed (an older approval of the same form, commented on today, does
// not settle a newer quote). A quote whose own approval is on record takes
// only an approval from another one (the manager approved the copy filed
// twice); a rejection or a withdrawal of the copy is the manager clearing it
// away.
std::vector<storage::Quote> QuotesOfForm(storage::Connection& c, const wecom::ApprovalState& form,
                                         const CrmContext& ctx) {
  std::vector<storage::Quote> fit;
  bool approved = form.status == static_cast<int>(wecom::ApprovalStatus::kApproved);
  for (auto& q : storage::PendingQuotes(c, {form.applicant})) {
    if (form.apply_time > 0 && q.at > form.apply_time + kFiledSkewSeconds) continue;
    if (!q.sp_no.empty() && q.sp_no != form.sp_no && !approved) continue;
    std::string customer = CustomerName(c, q.customer_id);
    if (std::all_of(form.values.begin(), form.values.end(),
                    [&](const auto& v) { return Agrees(v, q, customer, ctx.config.approval); })) {
      fit.push_back(std::move(q));
    }
  }
  return fit;
}

// Whether the quote's manager made the form's decision, or handed it to
// someone who did (转审): an approval the rep filed by hand and had someone
// else (or themselves) approve does not decide a quote. (Revoked or
// deleted: the applicant's own doing.)
bool DecidedByManager(const wecom::ApprovalState& form, const storage::Quote& q) {
  using Status = wecom::ApprovalStatus;
  bool approved = form.status == static_cast<int>(Status::kApproved);
  if (!approved && form.status != static_cast<int>(Status::kRejected)) return true;
  // A line's own codes: 2 approved, 3 rejected, 4 transferred, 13
  // approved with another signer added.
  return std::any_of(form.decisions.begin(), form.decisions.end(), [&](const auto& d) {
    if (d.approver != q.manager) return false;
    if (d.status == 4) return true;
    return approved ? d.status == 2 || d.status == 13 : d.status == 3;
  });
}

// The quote id after `prefix` in an outbox row's on_reply.
std::optional<std::int64_t> QuoteIdOf(const std::string& on_reply, std::string_view prefix) {
  if (!on_reply.starts_with(prefix)) return std::nullopt;
  std::string id = on_reply.substr(prefix.size());
  if (id.empty() || id.size() > 18 || id.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(id);
}

// The request for a quote reached the manager now: its reminder counts from
// here. One that had failed (its dead row was sent again) waits again, and
// the rep is told.
Messages Resubmitted(storage::Connection& c, std::int64_t id, const CrmContext& ctx) {
  if (!storage::ReopenQuote(c, id, ctx.now)) {
    storage::MarkQuoteAsked(c, id, ctx.now);
    return {};
  }
  auto quote = storage::QuoteById(c, id);
  return AnswerTo(quote->rep, ctx.config.wecom.agent_id,
                  ctx.templates.RenderView("quote_pending", QuoteView(c, *quote, ctx)));
}

}  // namespace

Messages RequestApproval(storage::Connection& c, const std::string& rep,
                         const domain::Customer& customer, const domain::Deal& deal,
                         const CrmContext& ctx) {
  std::string manager = ctx.org.ManagerOf(rep);
  if (manager.empty()) return {};
  for (const auto& q : storage::PendingQuotes(c, {rep})) {
    if (q.deal_id != deal.id || q.list_amount != deal.list_amount ||
        q.discount_bp != deal.discount_bp) {
      continue;
    }
    if (storage::NewerQuote(c, q.deal_id, q.id) || q.manager != manager) {
      // Quoted otherwise since: an approval of it would no longer apply.
      // Or asked of a manager the rep no longer reports to (who left, say):
      // only the current one may decide. It gives way to a new request.
      storage::DecideQuote(c, q.id, "overtaken", ctx.now);
      continue;
    }
    // Sent again (no answer seen yet): the manager is not asked twice.
    View view = QuoteView(c, q, ctx);
    view.vars["again"] = "1";
    return AnswerTo(rep, ctx.config.wecom.agent_id,
                    ctx.templates.RenderView("quote_pending", view));
  }
  std::int64_t id = storage::InsertQuote(c, deal, rep, ctx.now, "pending", manager);
  auto quote = storage::QuoteById(c, id);
  Messages out = ctx.config.approval.template_id.empty()
                     ? CardRequest(c, *quote, ctx)
                     : OaRequest(*quote, DisplayName(customer.name), ctx);
  // An answer to the rep's command: without WeCom's duplicate check, which
  // would drop the same answer to the same quote asked again.
  auto told = AnswerTo(rep, ctx.config.wecom.agent_id,
                       ctx.templates.RenderView("quote_pending", QuoteView(c, *quote, ctx)));
  out.insert(out.end(), told.begin(), told.end());
  return out;
}

Messages HandleApprovalChange(storage::Connection& c, const wecom::ApprovalChangeEvent& event,
                              const CrmContext& ctx) {
  auto quote = storage::QuoteBySpNo(c, event.info.sp_no);
  if (!quote) return ReadUnknownApproval(event.info, ctx);
  return Settle(c, *quote, event.info.sp_status, LinesOf(event.info.records), ctx);
}

Messages ApprovalDetailRead(storage::Connection& c, const std::string& body,
                            const CrmContext& ctx) {
  auto form = wecom::ParseApprovalDetail(body);
  if (!form) {
    spdlog::warn("oa/getapprovaldetail answer not understood: {}", form.error().message());
    return {};
  }
  if (form->template_id != ctx.config.approval.template_id || !Ended(form->status)) return {};
  auto quotes = QuotesOfForm(c, *form, ctx);
  if (quotes.size() != 1) {
    // None: decided before (a later event of the same approval), or not one
    // of the bot's. Several: the form cannot tell them apart.
    spdlog::info("approval {} of {} fits {} pending quotes: not applied", form->sp_no,
                 form->applicant, quotes.size());
    return {};
  }
  const storage::Quote& quote = quotes.front();
  if (!DecidedByManager(*form, quote)) {
    spdlog::warn("approval {} of {} fits quote {} but was not decided by {}: not applied",
                 form->sp_no, form->applicant, quote.id, quote.manager);
    return {};
  }
  if (quote.sp_no.empty()) storage::SetQuoteSpNo(c, quote.id, form->sp_no);
  return Settle(c, quote, form->status, LinesOf(form->decisions), ctx);
}

Messages HandleCardClick(storage::Connection& c, const wecom::TemplateCardEvent& event,
                         const CrmContext& ctx) {
  const std::string& key = event.event_key;
  bool approve = key.starts_with("approve:");
  auto id = QuoteIdOf(key, approve ? "approve:" : "reject:");
  if (!id) return {};
  auto quote = storage::QuoteById(c, *id);
  if (!quote || quote->manager != event.header.from_user) return {};  // not theirs to decide
  Messages out = Decide(c, *quote, approve, quote->manager, ctx);
  if (out.empty()) {
    // Decided by an earlier click, whose card was updated then; or ended
    // otherwise (asked anew, refused, withdrawn): the buttons say so now.
    bool clicked_before = quote->status == "approved" || quote->status == "rejected";
    if (event.response_code.empty() || clicked_before) return {};
    return {{UserRecipient(quote->manager), wecom::kUpdateTemplateCardPath,
             wecom::UpdateCardButtonBody({quote->manager}, ctx.config.wecom.agent_id,
                                         event.response_code, "已失效")}};
  }
  if (!event.response_code.empty()) {
    out.push_back(
        {UserRecipient(quote->manager), wecom::kUpdateTemplateCardPath,
         wecom::UpdateCardButtonBody({quote->manager}, ctx.config.wecom.agent_id,
                                     event.response_code, approve ? "已批准" : "已驳回")});
  }
  return out;
}

Messages ApprovalSubmitted(storage::Connection& c, const std::string& on_reply,
                           const std::string& body, const CrmContext& ctx) {
  auto id = QuoteIdOf(on_reply, kApprovalSubmitted);
  auto sp_no = wecom::ParseApplyEventReply(body);
  if (!sp_no || !id) {
    spdlog::warn("oa/applyevent answer without an sp_no for {}", on_reply);
    return {};
  }
  storage::SetQuoteSpNo(c, *id, *sp_no);
  return Resubmitted(c, *id, ctx);
}

Messages ApprovalCardDelivered(storage::Connection& c, const std::string& on_reply,
                               const CrmContext& ctx) {
  auto id = QuoteIdOf(on_reply, kApprovalCard);
  return id ? Resubmitted(c, *id, ctx) : Messages{};
}

namespace {

// WeCom's refusal of an approval request, as the rep reads it.
std::string RefusalReason(int errcode) {
  switch (errcode) {
    case 60011:
    case 81013:
      return "审批人不在应用的可见范围内，或账号已停用";
    case 40003:
      return "审批人的账号无效";
    case 48002:
    case 301002:
      return "应用没有审批接口的权限";
    case 301025:
      // WeCom's text says which: the log has it.
      return "审批参数有误（申请人或审批人不在应用的可见范围内，或审批模板的控件设置不符）";
    case 0:
      return "企业微信没有接受这次请求";
    default:
      return "企业微信拒绝了请求（错误码 " + std::to_string(errcode) + "）";
  }
}

}  // namespace

Messages ApprovalNotDelivered(storage::Connection& c, const std::string& on_reply, int errcode,
                              const std::string& why, const CrmContext& ctx) {
  bool oa = on_reply.starts_with(kApprovalSubmitted);
  auto id = QuoteIdOf(on_reply, oa ? kApprovalSubmitted : kApprovalCard);
  auto quote = id ? storage::QuoteById(c, *id) : std::nullopt;
  if (!quote || !storage::DecideQuote(c, quote->id, "failed", ctx.now)) return {};
  spdlog::warn("the approval request for quote {} was refused by WeCom: {}", quote->id, why);
  View view = QuoteView(c, *quote, ctx);
  view.vars["priced"] = Priced(storage::DealById(c, quote->deal_id));
  view.vars["why"] = RefusalReason(errcode);
  view.vars["oa"] = oa ? "1" : "";
  // Without WeCom's duplicate check: the same refusal of the same quote
  // sent again must still reach the rep.
  return AnswerTo(quote->rep, ctx.config.wecom.agent_id,
                  ctx.templates.RenderView("quote_not_submitted", view));
}

Messages ApprovalReminders(storage::Connection& c, const CrmContext& ctx) {
  Messages out;
  std::int64_t before = ctx.now - std::int64_t{ctx.config.approval.remind_hours} * 3600;
  for (const auto& quote : storage::TakeQuotesToRemind(c, before)) {
    std::string current = ctx.org.ManagerOf(quote.rep);
    if (quote.manager != current) {
      // Asked of a manager the rep no longer reports to (one who left, say):
      // the rep is told to send it again, which asks the current one.
      View view = QuoteView(c, quote, ctx);
      view.vars["current"] = current.empty() ? "" : ctx.org.NameOf(current);
      auto told = AnswerTo(quote.rep, ctx.config.wecom.agent_id,
                           ctx.templates.RenderView("approval_manager_changed", view));
      out.insert(out.end(), told.begin(), told.end());
      continue;
    }
    auto more = TextTo(quote.manager, ctx.config.wecom.agent_id,
                       ctx.templates.RenderView("approval_reminder", QuoteView(c, quote, ctx)));
    out.insert(out.end(), more.begin(), more.end());
  }
  return out;
}

}  // namespace scrm::bot
