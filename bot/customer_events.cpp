#include "bot/customer_events.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>
#include <set>
#include <string_view>

#include "bot/approvals.h"
#include "storage/crm.h"
#include "wecom/contacts.h"

namespace scrm::bot {
namespace {

using domain::Customer;
using wecom::ExternalContactChange;

std::string CustomerRecipient(const std::string& external_userid) {
  return "customer:" + external_userid;
}

// Which page of a customer's followers an externalcontact/get row reads, and
// the follower who added the customer last on the pages before it (none on
// the first page): should the owner be on none of the pages, that follower
// may take the customer over.
struct DetailPage {
  int page = 1;
  std::int64_t last_added_at = 0;
  std::string last_added_by;
};

// externalcontact/get for the customer; `cursor` for a page after the first
// (500 followers a page). The row's on_reply is kCustomerDetail, then for a
// later page ":<page>" and, with a follower from the pages before,
// ":<createtime>:<userid>".
storage::OutboxMessage Fetch(const std::string& external_userid, const std::string& cursor = "",
                             const DetailPage& at = {}) {
  std::string on_reply = kCustomerDetail;
  if (at.page > 1) {
    on_reply += ':';
    on_reply += std::to_string(at.page);
  }
  if (at.page > 1 && !at.last_added_by.empty()) {
    on_reply += ':';
    on_reply += std::to_string(at.last_added_at);
    on_reply += ':';
    on_reply += at.last_added_by;
  }
  return {CustomerRecipient(external_userid),
          std::string(wecom::kExternalContactGetPath) + "?" +
              wecom::ExternalContactQuery(external_userid, cursor),
          "", std::move(on_reply)};
}

// A whole number in `digits`, nothing else.
template <class Int>
std::optional<Int> WholeNumber(std::string_view digits) {
  Int value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  return value;
}

// What an externalcontact/get row's on_reply says (see Fetch), or nothing if
// it is not one.
std::optional<DetailPage> ReadDetailPage(std::string_view on_reply) {
  std::string_view first = kCustomerDetail;
  if (on_reply == first) return DetailPage{};
  if (!on_reply.starts_with(first) || on_reply.size() <= first.size() + 1 ||
      on_reply[first.size()] != ':') {
    return std::nullopt;
  }
  std::string_view rest = on_reply.substr(first.size() + 1);
  std::size_t colon = rest.find(':');
  auto page = WholeNumber<int>(rest.substr(0, colon));
  if (!page || *page <= 1) return std::nullopt;
  DetailPage out{*page, 0, ""};
  if (colon == std::string_view::npos) return out;
  rest.remove_prefix(colon + 1);
  colon = rest.find(':');
  if (colon == std::string_view::npos || colon + 1 == rest.size()) return std::nullopt;
  auto at = WholeNumber<std::int64_t>(rest.substr(0, colon));
  if (!at) return std::nullopt;
  out.last_added_at = *at;
  out.last_added_by = std::string(rest.substr(colon + 1));  // a userid may hold anything
  return out;
}

std::string Label(const Customer& c) { return DisplayName(c.name); }

// The welcome message the event's code allows (none without one).
Messages Welcome(const wecom::ExternalContactEvent& e, const CrmContext& ctx) {
  if (e.welcome_code.empty()) return {};
  // WeCom accepts it only within 20 s of the event: it goes first, and on
  // a queue of its own, so that a fetch of the same customer waiting for a
  // retry (after a rate limit, say) does not hold it back.
  // A customer reads it: the rep's name, never their userid.
  std::string text = ctx.templates.Render("welcome", {{"rep", ctx.org.KnownNameOf(e.user_id)}});
  return {{"welcome:" + e.external_user_id + ":" + e.user_id, wecom::kSendWelcomeMsgPath,
           wecom::WelcomeMessageBody(e.welcome_code, text), ""}};
}

// The customer's relationship with `rep` starts now (a transfer, a handover
// after the owner's ended, or the customer added again): theirs, with the
// open deal, planned as a new customer. The previous owner's tags say
// nothing of this rep's.
void StartWith(storage::Connection& c, Customer& customer, const std::string& rep,
               std::int64_t now) {
  if (customer.owner != rep) {
    storage::ReassignOpenDeals(c, customer.id, rep);
    storage::SetCustomerTags(c, customer.id, {});
    customer.tier_manual = false;
    customer.tier_from_tag = false;
  }
  customer.owner = rep;
  customer.owned_since = now;      // created_at stays: counted as a new customer once
  customer.last_follow_up_at = 0;  // the history stays; the first contact is planned
  customer.last_contact_at = 0;
  customer.next_follow_up_at = 0;
  customer.deleted_rep = false;
  storage::MarkCustomerRemoved(c, customer.id, 0);
}

// Whether the owner's relationship with the customer has ended (the owner
// may also have left the company).
bool Ended(storage::Connection& c, const Customer& customer) {
  return customer.deleted_rep || storage::CustomerRemoved(c, customer.id) ||
         storage::RepDeparted(c, customer.owner);
}

Messages Added(storage::Connection& c, const wecom::ExternalContactEvent& e,
               const CrmContext& ctx) {
  auto customer = storage::CustomerByExternalId(c, e.external_user_id);
  if (!customer) {
    Customer fresh;
    fresh.external_userid = e.external_user_id;
    fresh.owner = e.user_id;
    fresh.channel = e.state;
    fresh.created_at = ctx.now;
    fresh.id = storage::InsertCustomer(c, fresh);
    customer = fresh;
  } else {
    bool gone = Ended(c, *customer);
    if (customer->owner != e.user_id && !gone) {
      // A second rep added a customer the owner still follows: the customer
      // stays the owner's (the CRM keeps one owner per customer).
      spdlog::info("{} also added customer #{} of {}; the owner stays", e.user_id, customer->id,
                   customer->owner);
      return Welcome(e, ctx);
    }
    // Taken over after the owner's relationship ended, or added again.
    if (customer->owner != e.user_id || gone) StartWith(c, *customer, e.user_id, ctx.now);
    if (!e.state.empty()) customer->channel = e.state;
  }
  RefreshCustomer(c, *customer, ctx);  // plans the first contact
  Messages out = Welcome(e, ctx);
  out.push_back(Fetch(e.external_user_id));
  return out;
}

Messages DeletedRep(storage::Connection& c, const wecom::ExternalContactEvent& e,
                    const CrmContext& ctx) {
  auto customer = storage::CustomerByExternalId(c, e.external_user_id);
  // Another rep's friend deleting that rep says nothing of the owner's.
  if (!customer || customer->owner != e.user_id) return {};
  customer->deleted_rep = true;
  RefreshCustomer(c, *customer, ctx);
  // When it happened, as WeCom says: a later add by the customer (its event
  // may have come first) is told apart by the fetch's createtime.
  storage::MarkDeletedRep(c, customer->id,
                          e.header.create_time > 0 ? e.header.create_time : ctx.now);
  std::string manager = ctx.org.ManagerOf(e.user_id);
  std::string text = ctx.templates.Render("churn_alert", {{"rep", ctx.org.NameOf(e.user_id)},
                                                          {"name", Label(*customer)},
                                                          {"id", std::to_string(customer->id)},
                                                          {"yours", manager.empty() ? "1" : ""}});
  Messages out = AnswerTo(manager.empty() ? e.user_id : manager, ctx.config.wecom.agent_id, text);
  out.push_back(Fetch(e.external_user_id));  // another rep who still has them takes over
  return out;
}

Messages TransferFailed(storage::Connection& c, const wecom::ExternalContactEvent& e,
                        const CrmContext& ctx) {
  auto customer = storage::CustomerByExternalId(c, e.external_user_id);
  // Reasons WeCom may add later are shown as it gives them.
  std::string reason = e.fail_reason == "customer_refused"        ? "客户拒绝了转接"
                       : e.fail_reason == "customer_limit_exceed" ? "接替成员的客户数已达上限"
                       : e.fail_reason.empty()                    ? "企业微信未说明原因"
                                                                  : e.fail_reason;
  std::string text =
      ctx.templates.Render("transfer_failed", {{"name", customer ? Label(*customer) : ""},
                                               {"id", customer ? std::to_string(customer->id) : ""},
                                               {"reason", reason}});
  // The event names the member who was to take over; the customer stays
  // with its owner, who is the one to act (and who can open #id). An owner
  // who left the company reads nothing: their manager, who hands their
  // customers over (离职继承), is told.
  std::string to = customer && !customer->owner.empty() ? customer->owner : e.user_id;
  if (customer && storage::RepDeparted(c, to)) {
    std::string manager = ctx.org.ManagerOf(to);
    to = manager.empty() ? e.user_id : manager;
  }
  return AnswerTo(to, ctx.config.wecom.agent_id, text);
}

}  // namespace

Messages HandleContactEvent(storage::Connection& c, const wecom::ExternalContactEvent& e,
                            const CrmContext& ctx) {
  if (e.external_user_id.empty() || e.user_id.empty()) return {};
  switch (e.change) {
    case ExternalContactChange::kAdd:
    case ExternalContactChange::kAddHalf:
      return Added(c, e, ctx);
    case ExternalContactChange::kEdit:
      if (!storage::CustomerByExternalId(c, e.external_user_id)) return Added(c, e, ctx);
      return {Fetch(e.external_user_id)};
    case ExternalContactChange::kDelFollowUser:
      return DeletedRep(c, e, ctx);
    case ExternalContactChange::kDelete: {
      auto customer = storage::CustomerByExternalId(c, e.external_user_id);
      // Only the owner's deletion ends the customer's place in the CRM, not
      // a second rep's. Transferred (DELETE_BY_TRANSFER) or not, whoever
      // still has the customer takes over: the receiving rep's add event,
      // or the follow-up list that the fetch reads, says who.
      if (!customer || customer->owner != e.user_id) return {};
      // When it happened, as WeCom says: an add of the same customer by the
      // owner after it (an event that came first) is told apart by its time.
      storage::MarkCustomerRemoved(c, customer->id,
                                   e.header.create_time > 0 ? e.header.create_time : ctx.now);
      return {Fetch(e.external_user_id)};
    }
    case ExternalContactChange::kTransferFail:
      return TransferFailed(c, e, ctx);
    case ExternalContactChange::kOther:
      break;
  }
  return {};
}

namespace {

// How a tag is recorded on the customer: a corp tag (type 1) by its id, the
// one the tag library knows; a personal tag (2, which has no id) or a rule
// group's (3) by a key of its own, which no library answer touches.
std::string RecordedTagId(const wecom::ContactTag& tag) {
  if (tag.type == 2) return "personal:" + tag.tag_name;
  if (tag.type == 3) return "rule:" + tag.tag_id;
  return tag.tag_id;
}

// Whether the tag library (get_corp_tag_list) lists this recorded tag's kind.
bool CorpTagId(const std::string& id) { return !id.empty() && id.find(':') == std::string::npos; }

// The owner's tags, and what they say of the tier and 大客户.
void ApplyTags(storage::Connection& c, Customer& customer, const storage::Tags& tags,
               const CrmContext& ctx) {
  const auto& tiers = ctx.config.crm.tag_tiers;
  auto tier_tags = [&](const std::set<std::string>& names) {
    std::set<char> out;
    for (const auto& name : names) {
      if (auto t = tiers.find(name); t != tiers.end()) out.insert(t->second);
    }
    return out;
  };
  std::set<std::string> names;
  for (const auto& tag : tags) names.insert(tag.second);
  customer.is_large = names.count("大客户") > 0;
  // Tier tags count when they change: put on in WeCom, they set the tier
  // (the highest of those on); all taken off, they hand a tier they set
  // back to the value. Tags that did not change, or went after the rep's
  // own 分级, leave the 分级 alone.
  std::set<char> now = tier_tags(names);
  if (now != tier_tags(storage::CustomerTagNames(c, customer.id))) {
    if (!now.empty()) {
      customer.tier = *now.begin();  // 'A' < 'B' < 'C'
      customer.tier_manual = customer.tier_from_tag = true;
    } else if (customer.tier_from_tag) {
      customer.tier_manual = customer.tier_from_tag = false;
    }
  }
  storage::SetCustomerTags(c, customer.id, tags);
}

// Customers changed per library answer: a tag on very many customers is
// done in several writer jobs (the library is read again for the rest), so
// that no one job holds the writer for long.
constexpr int kRetaggedPerAnswer = 500;

storage::OutboxMessage ReadTagLibrary() {
  return {"corp:tags", wecom::kGetCorpTagListPath, wecom::CorpTagListBody({}, {}), kCorpTags};
}

// The tag library's answer (every tag): tags renamed or deleted since the
// customers' were recorded change on them, with what they say of the tier
// and 大客户.
Messages ReconcileTags(storage::Connection& c, const std::string& body, const CrmContext& ctx) {
  auto groups = wecom::ParseCorpTagGroups(body);
  if (!groups) {
    spdlog::warn("get_corp_tag_list answer not understood: {}", groups.error().message());
    return {};
  }
  std::map<std::string, std::string> library;  // id → name
  for (const auto& group : *groups) {
    if (group.deleted) continue;
    for (const auto& tag : group.tags) {
      if (!tag.deleted) library[tag.id] = tag.name;
    }
  }
  int changed = 0;
  for (const auto& [id, name] : storage::RecordedTags(c)) {
    if (!CorpTagId(id)) continue;  // personal and rule-group tags are not in the library
    auto now = library.find(id);
    if (now != library.end() && now->second == name) continue;
    spdlog::info("tag {} ({}) is {} in WeCom: updating its customers", id, name,
                 now == library.end() ? "deleted" : "now " + now->second);
    for (std::int64_t customer_id : storage::CustomersWithTag(c, id, name)) {
      if (changed++ == kRetaggedPerAnswer) return {ReadTagLibrary()};  // the rest next time
      auto customer = storage::CustomerById(c, customer_id);
      if (!customer) continue;
      storage::Tags tags;
      for (auto& tag : storage::CustomerTags(c, customer_id)) {
        if (tag.first != id) {
          tags.push_back(std::move(tag));
        } else if (now != library.end()) {
          tags.emplace_back(id, now->second);
        }
      }
      ApplyTags(c, *customer, tags, ctx);
      RefreshCustomer(c, *customer, ctx);
    }
  }
  return {};
}

}  // namespace

Messages HandleTagChange(const wecom::ExternalTagEvent& e) {
  if (e.change_type != "update" && e.change_type != "delete") return {};
  // The event names one tag or group; the whole library is read (a deleted
  // group takes its tags along, and only the library says which).
  return {ReadTagLibrary()};
}

Messages HandleDirectoryChange(storage::Connection& c, const wecom::ContactChangeEvent& e,
                               const CrmContext& ctx) {
  if (e.user_id.empty()) return {};
  if (e.change_type == "update_user" && !e.new_user_id.empty() && e.new_user_id != e.user_id) {
    spdlog::info("member {} is now {}: their customers follow", e.user_id, e.new_user_id);
    storage::RenameRep(c, e.user_id, e.new_user_id, ctx.now);
    return {};
  }
  if (e.change_type == "create_user") {
    storage::SetRepDeparted(c, e.user_id, 0);
    storage::ForgetRename(c, e.user_id);  // a new member of that id, not the renamed one
  }
  if (e.change_type != "delete_user") return {};
  // Their customers pass to the rep who adds them next (离职继承), and
  // whoever reported to them reports to their manager (approvals, alerts and
  // digests do not go to someone who is gone).
  storage::SetRepDeparted(c, e.user_id, ctx.now);
  storage::PassReportsOf(c, e.user_id);
  int count = storage::CountActiveCustomers(c, e.user_id);
  std::string manager = ctx.org.ManagerOf(e.user_id);
  if (count == 0 || manager.empty()) return {};
  // News each time (two reps leaving with as many customers read the same).
  return AnswerTo(manager, ctx.config.wecom.agent_id,
                  ctx.templates.Render("rep_left", {{"rep", ctx.org.NameOf(e.user_id)},
                                                    {"count", std::to_string(count)}}));
}

Messages ApplyRefusal(storage::Connection& c, const std::string& on_reply, int errcode,
                      const std::string& why, const CrmContext& ctx) {
  if (on_reply.starts_with(kApprovalSubmitted) || on_reply.starts_with(kApprovalCard)) {
    return ApprovalNotDelivered(c, on_reply, errcode, why, ctx);
  }
  return {};
}

namespace {

// The answer of externalcontact/get: the customer's name, company, the
// owner's remark and tags, and who owns the customer now.
Messages CustomerDetailRead(storage::Connection& c, const std::string& body, const DetailPage& at,
                            const CrmContext& ctx) {
  auto detail = wecom::ParseExternalContactDetail(body);
  if (!detail) {
    spdlog::warn("externalcontact/get answer not understood: {}", detail.error().message());
    return {};
  }
  auto customer = storage::CustomerByExternalId(c, detail->contact.external_userid);
  if (!customer) return {};
  customer->name = detail->contact.name;
  customer->company = detail->contact.corp_full_name.empty() ? detail->contact.corp_name
                                                             : detail->contact.corp_full_name;
  auto& follow_users = detail->follow_users;
  auto owner = std::find_if(follow_users.begin(), follow_users.end(),
                            [&](const auto& f) { return f.userid == customer->owner; });
  // Without the owner on this page: who added the customer last on it, of
  // those still with the company (the customer does not pass to someone who
  // left), and whether the one who did on any page is on an earlier one.
  auto last_added = follow_users.end();
  bool earlier = false;
  if (owner == follow_users.end()) {
    for (auto it = follow_users.begin(); it != follow_users.end(); ++it) {
      if (storage::RepDeparted(c, it->userid)) continue;
      if (last_added == follow_users.end() || it->createtime > last_added->createtime) {
        last_added = it;
      }
    }
    earlier = !at.last_added_by.empty() &&
              (last_added == follow_users.end() || at.last_added_at > last_added->createtime);
  }
  if (owner == follow_users.end() && !detail->next_cursor.empty()) {
    // More than 500 members follow the customer and the owner is not on
    // this page: the next one is read (the name and company are news now),
    // up to a limit, should the cursors never end.
    RefreshCustomer(c, *customer, ctx);
    if (at.page < kMaxFollowerPages) {
      DetailPage next = at;
      ++next.page;
      if (!earlier && last_added != follow_users.end()) {
        next.last_added_at = last_added->createtime;
        next.last_added_by = last_added->userid;
      }
      return {Fetch(customer->external_userid, detail->next_cursor, next)};
    }
    spdlog::warn("customer #{}: owner {} not among the first {} pages of followers", customer->id,
                 customer->owner, kMaxFollowerPages);
    return {};
  }
  if (owner == follow_users.end() && Ended(c, *customer) &&
      (earlier || last_added != follow_users.end())) {
    // The owner's relationship ended and other reps still have the customer
    // (a transfer to a rep who was a friend already sends no add event, and
    // an add that came before the owner's delete was taken as a second
    // rep's): the one who added the customer last, on any page, takes over,
    // as a transfer or a handover of a departed rep's customers makes it.
    const std::string& next_owner = earlier ? at.last_added_by : last_added->userid;
    spdlog::info("customer #{} passes from {} to {}", customer->id, customer->owner, next_owner);
    StartWith(c, *customer, next_owner, ctx.now);
    if (earlier) {
      // Their remark and tags are on their page: read from the first again.
      RefreshCustomer(c, *customer, ctx);
      return {Fetch(customer->external_userid)};
    }
    owner = last_added;
  }
  if (owner == follow_users.end()) {
    // Not the owner's any more (or not yet): name and company only; the
    // owner's remark and tags stay as they were.
    RefreshCustomer(c, *customer, ctx);
    return {};
  }
  // The owner added the customer again after deleting them (the delete's
  // event came last): not removed. An answer read before the delete lists
  // the owner's first add, which is older.
  if (std::int64_t removed = storage::CustomerRemovedAt(c, customer->id);
      removed > 0 && owner->createtime > removed) {
    storage::MarkCustomerRemoved(c, customer->id, 0);
  }
  // Likewise the customer added the owner again after deleting them.
  if (std::int64_t deleted = storage::DeletedRepAt(c, customer->id);
      deleted > 0 && owner->createtime > deleted) {
    customer->deleted_rep = false;
  }
  // A customer the owner had before the bot knew of them (first seen in an
  // edit, after the bot was set up) came when the owner added them: not a
  // new customer of today. The plan made when the bot first saw them stays.
  // (Not after a handover: the new owner's add dates their relationship,
  // not the customer's arrival.)
  if (customer->owned_since == 0 && owner->createtime > 0 &&
      owner->createtime < customer->created_at) {
    customer->owned_since = customer->created_at;
    customer->created_at = owner->createtime;
  }
  customer->remark = owner->remark;
  // A WeChat user has no company of their own: the one the rep noted.
  if (customer->company.empty()) customer->company = owner->remark_corp_name;
  storage::Tags tags;
  for (const auto& tag : owner->tags) tags.emplace_back(RecordedTagId(tag), tag.tag_name);
  ApplyTags(c, *customer, tags, ctx);
  RefreshCustomer(c, *customer, ctx);
  return {};
}

}  // namespace

Messages ApplyReply(storage::Connection& c, const std::string& on_reply, const std::string& body,
                    const CrmContext& ctx) {
  if (on_reply.starts_with(kApprovalSubmitted)) return ApprovalSubmitted(c, on_reply, body, ctx);
  if (on_reply.starts_with(kApprovalCard)) return ApprovalCardDelivered(c, on_reply, ctx);
  if (on_reply == kApprovalDetail) return ApprovalDetailRead(c, body, ctx);
  if (on_reply == kCorpTags) return ReconcileTags(c, body, ctx);
  if (auto at = ReadDetailPage(on_reply)) return CustomerDetailRead(c, body, *at, ctx);
  return {};
}

}  // namespace scrm::bot
