// Customer contact (客户联系) APIs: external contacts, their follow-up
// members, corp tags, welcome messages, mass-message tasks and "contact me"
// QR codes. The app must be listed under 客户联系 - 可调用接口的应用 (else
// 48002).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "wecom/errors.h"

namespace scrm::wecom {

inline constexpr const char* kExternalContactGetPath = "/cgi-bin/externalcontact/get";
inline constexpr const char* kBatchGetByUserPath = "/cgi-bin/externalcontact/batch/get_by_user";
inline constexpr const char* kRemarkPath = "/cgi-bin/externalcontact/remark";
inline constexpr const char* kMarkTagPath = "/cgi-bin/externalcontact/mark_tag";
inline constexpr const char* kGetCorpTagListPath = "/cgi-bin/externalcontact/get_corp_tag_list";
inline constexpr const char* kAddCorpTagPath = "/cgi-bin/externalcontact/add_corp_tag";
inline constexpr const char* kSendWelcomeMsgPath = "/cgi-bin/externalcontact/send_welcome_msg";
inline constexpr const char* kAddMsgTemplatePath = "/cgi-bin/externalcontact/add_msg_template";
inline constexpr const char* kAddContactWayPath = "/cgi-bin/externalcontact/add_contact_way";
inline constexpr const char* kGetFollowUserListPath =
    "/cgi-bin/externalcontact/get_follow_user_list";

inline constexpr std::size_t kWelcomeTextLimit = 4000;    // send_welcome_msg text.content, bytes
inline constexpr std::size_t kMassTextLimit = 4000;       // add_msg_template text.content, bytes
inline constexpr std::size_t kContactWayStateLimit = 30;  // characters

struct ExternalContact {
  std::string external_userid;
  std::string name;
  std::string position;
  std::string avatar;
  std::string corp_name;
  std::string corp_full_name;
  int type = 0;    // 1 WeChat user, 2 WeCom user
  int gender = 0;  // 0 unknown, 1 male, 2 female
  std::string unionid;
};

struct ContactTag {
  std::string group_name;
  std::string tag_name;
  std::string tag_id;
  int type = 0;  // 1 corp tag, 2 personal, 3 rule
};

// One member who follows the customer, with that member's notes.
struct FollowUser {
  std::string userid;
  std::string remark;
  std::string description;
  std::int64_t createtime = 0;  // UTC epoch seconds
  std::vector<ContactTag> tags;
  std::vector<std::string> tag_ids;  // batch/get_by_user gives ids only
  std::string remark_corp_name;
  std::vector<std::string> remark_mobiles;
  std::string oper_userid;
  int add_way = 0;
  std::string state;  // the "contact me" state: the channel
};

// externalcontact/get?external_userid=&cursor=
std::string ExternalContactQuery(std::string_view external_userid, std::string_view cursor = {});
struct ExternalContactDetail {
  ExternalContact contact;
  std::vector<FollowUser> follow_users;
  std::string next_cursor;
};
// kBadJson when there is no external_contact.external_userid.
Result<ExternalContactDetail> ParseExternalContactDetail(std::string_view json);

// externalcontact/batch/get_by_user: at most 100 members, limit 1..100.
Result<std::string> BatchGetByUserBody(const std::vector<std::string>& user_ids,
                                       std::string_view cursor, int limit);
struct ContactOfMember {
  ExternalContact contact;
  FollowUser follow;
};
struct ContactPage {
  std::vector<ContactOfMember> contacts;
  std::string next_cursor;
};
Result<ContactPage> ParseContactPage(std::string_view json);

struct Remark {
  std::string userid;
  std::string external_userid;
  std::string remark;       // <= 20 characters
  std::string description;  // <= 150 characters
  std::string remark_company;
  std::vector<std::string> remark_mobiles;
};
std::string RemarkBody(const Remark& remark);

// Adds and removes corp tags on one customer of one member.
std::string MarkTagBody(std::string_view userid, std::string_view external_userid,
                        const std::vector<std::string>& add,
                        const std::vector<std::string>& remove);

struct CorpTag {
  std::string id;
  std::string name;
  std::int64_t create_time = 0;
  std::int64_t order = 0;
  bool deleted = false;
};
struct CorpTagGroup {
  std::string group_id;
  std::string group_name;
  std::int64_t create_time = 0;
  std::int64_t order = 0;
  bool deleted = false;
  std::vector<CorpTag> tags;
};
// get_corp_tag_list: both lists empty = every tag.
std::string CorpTagListBody(const std::vector<std::string>& tag_ids,
                            const std::vector<std::string>& group_ids);
Result<std::vector<CorpTagGroup>> ParseCorpTagGroups(std::string_view json);

// add_corp_tag: tags into the group `group_id`, or a new group `group_name`
// when group_id is empty. The reply's tag_group is read with
// ParseAddedCorpTags.
std::string AddCorpTagBody(std::string_view group_id, std::string_view group_name,
                           const std::vector<std::string>& tag_names, std::int64_t agent_id);
Result<CorpTagGroup> ParseAddedCorpTags(std::string_view json);

// send_welcome_msg: within 20 s of the add event, once (41051 = already sent).
std::string WelcomeMessageBody(std::string_view welcome_code, std::string_view text);

// add_msg_template (企业群发) of text to customers, sent by `sender` once the
// member confirms it in the client.
std::string MassMessageBody(std::string_view sender,
                            const std::vector<std::string>& external_userids,
                            std::string_view text);
struct MassMessageReply {
  std::vector<std::string> fail_list;
  std::string msgid;
};
Result<MassMessageReply> ParseMassMessageReply(std::string_view json);

// add_contact_way: a single-member QR code ("联系我") whose `state` comes back
// in add_external_contact events.
struct ContactWay {
  std::string userid;
  std::string state;   // <= 30 characters
  std::string remark;  // <= 30 characters
  bool skip_verify = true;
};
Result<std::string> ContactWayBody(const ContactWay& way);
struct ContactWayReply {
  std::string config_id;
  std::string qr_code;
};
Result<ContactWayReply> ParseContactWayReply(std::string_view json);

// get_follow_user_list: the members with customer contact enabled.
Result<std::vector<std::string>> ParseFollowUsers(std::string_view json);

}  // namespace scrm::wecom
