#include "bot/commands.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <utility>

#include "domain/utf8.h"
#include "wecom/cards.h"

namespace scrm::bot {
namespace {

enum class Kind {
  kHelp,
  kCustomer,
  kFollow,
  kStage,
  kQuote,
  kPaid,
  kLost,
  kTier,
  kTodo,
  kFunnel,
  kDigest,
  kTeam
};

struct Spec {
  Kind kind;
  const char* name;  // Chinese
  std::vector<std::string_view> aliases;
  const char* usage;
};

const std::vector<Spec>& Specs() {
  static const std::vector<Spec> specs = {
      {Kind::kHelp, "帮助", {"help", "?", "菜单", "menu"}, "帮助"},
      {Kind::kCustomer, "客户", {"customer", "card"}, "客户 <客户>"},
      {Kind::kFollow, "跟进", {"follow", "followup"}, "跟进 <客户> <内容>"},
      {Kind::kStage, "阶段", {"stage"}, "阶段 <客户> <阶段>"},
      {Kind::kQuote, "报价", {"quote"}, "报价 <客户> <金额> [折扣 <百分比>]"},
      {Kind::kPaid, "回款", {"paid", "payment"}, "回款 <客户> <金额>"},
      {Kind::kLost, "输单", {"lost"}, "输单 <客户> <原因>"},
      {Kind::kTier, "分级", {"tier"}, "分级 <客户> <A|B|C>"},
      {Kind::kTodo, "待办", {"todo"}, "待办"},
      {Kind::kFunnel, "漏斗", {"funnel"}, "漏斗"},
      {Kind::kDigest, "日报", {"digest"}, "日报"},
      {Kind::kTeam, "团队", {"team"}, "团队"},
  };
  return specs;
}

// Invalid UTF-8 bytes become kRawByte + the byte, so they survive a round
// trip unchanged.
constexpr std::uint32_t kRawByte = 0x110000;

// Unicode code points of UTF-8 text (invalid bytes count as one each).
std::vector<std::uint32_t> CodePoints(std::string_view s) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      out.push_back(c);
      ++i;
    } else if (auto decoded = domain::DecodeUtf8(s.substr(i))) {
      out.push_back(decoded->first);
      i += decoded->second;
    } else {
      out.push_back(kRawByte + c);
      ++i;
    }
  }
  return out;
}

std::size_t EditDistance(std::string_view a, std::string_view b) {
  auto x = CodePoints(a);
  auto y = CodePoints(b);
  std::vector<std::size_t> row(y.size() + 1);
  for (std::size_t j = 0; j <= y.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= x.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= y.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (x[i - 1] != y[j - 1])});
      diagonal = above;
    }
  }
  return row[y.size()];
}

const Spec* FindSpec(std::string_view word) {
  std::string lower = Lower(word);
  for (const auto& spec : Specs()) {
    if (lower == spec.name) return &spec;
    for (auto alias : spec.aliases) {
      if (lower == alias) return &spec;
    }
  }
  return nullptr;
}

// The command name most like `word`, or "" when none is close.
std::string Closest(std::string_view word) {
  std::string lower = Lower(word);
  std::size_t best = SIZE_MAX;
  std::string name;
  for (const auto& spec : Specs()) {
    std::vector<std::string_view> words = spec.aliases;
    words.push_back(spec.name);
    for (auto w : words) {
      if (CodePoints(w).size() < 2) continue;  // everything is one edit from "?"
      std::size_t d = EditDistance(lower, w);
      std::size_t allowed = std::max<std::size_t>(1, CodePoints(w).size() / 2);
      if (d <= allowed && d < best) {
        best = d;
        name = spec.name;
      }
    }
  }
  return name;
}

// The length of the white space at `i` (a space, tab, line break, the
// ideographic space U+3000, or what text copied from elsewhere brings: a
// no-break space U+00A0, a zero-width space U+200B or U+FEFF), or 0.
std::size_t SpaceAt(std::string_view s, std::size_t i) {
  char c = s[i];
  if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return 1;
  if (s.compare(i, 2, "\xC2\xA0") == 0) return 2;
  for (std::string_view wide : {"\xE3\x80\x80", "\xE2\x80\x8B", "\xEF\xBB\xBF"}) {
    if (s.compare(i, 3, wide) == 0) return 3;
  }
  return 0;
}

// The words of `s` as [start, length) byte ranges, split at any white space.
std::vector<std::pair<std::size_t, std::size_t>> WordRanges(std::string_view s) {
  std::vector<std::pair<std::size_t, std::size_t>> out;
  std::size_t start = std::string_view::npos;
  for (std::size_t i = 0; i < s.size();) {
    if (std::size_t space = SpaceAt(s, i); space > 0) {
      if (start != std::string_view::npos) out.emplace_back(start, i - start);
      start = std::string_view::npos;
      i += space;
    } else {
      if (start == std::string_view::npos) start = i;
      ++i;
    }
  }
  if (start != std::string_view::npos) out.emplace_back(start, s.size() - start);
  return out;
}

// The bytes of the first `n` code points of `s` (an invalid byte counts as
// one, as in CodePoints).
std::size_t BytesOf(std::string_view s, std::size_t n) {
  std::size_t i = 0;
  for (; n > 0 && i < s.size(); --n) {
    auto decoded =
        static_cast<unsigned char>(s[i]) < 0x80 ? std::nullopt : domain::DecodeUtf8(s.substr(i));
    i += decoded ? decoded->second : 1;
  }
  return i;
}

// The command word at the start of the first word, normalised ("跟进",
// "跟进张三", "跟进:张三", "跟进,张三"; "客户：张三" becomes "客户:张三"), and
// how many of its code points the command takes (with the colon or comma);
// the rest is the first argument.
std::pair<std::string, std::size_t> CommandWord(const std::string& first) {
  auto count = [](std::string_view s) { return CodePoints(s).size(); };
  if (FindSpec(first)) return {first, count(first)};
  for (const auto& spec : Specs()) {
    std::string_view name = spec.name;
    if (first.size() > name.size() && first.starts_with(name)) {
      bool separator = first[name.size()] == ':' || first[name.size()] == ',';
      return {std::string(name), count(name) + (separator ? 1 : 0)};
    }
  }
  if (auto colon = first.find(':');
      colon != std::string::npos && FindSpec(first.substr(0, colon))) {
    return {first.substr(0, colon), count(first.substr(0, colon)) + 1};
  }
  return {first, count(first)};
}

// A command's arguments as the rep typed them: each word, and for free text
// everything from a word to the end, with its own punctuation, spacing and
// line breaks. Numbers and keywords are read from the normalised word.
class Args {
 public:
  explicit Args(std::string_view body) : body_(body) {}
  void Add(std::size_t start, std::size_t length) {
    starts_.push_back(start);
    words_.emplace_back(body_.substr(start, length));
  }
  std::size_t size() const { return words_.size(); }
  const std::string& operator[](std::size_t i) const { return words_[i]; }
  std::string Norm(std::size_t i) const { return NormalizeText(words_[i]); }
  std::string Rest(std::size_t i) const { return std::string(body_.substr(starts_[i])); }
  // Words [from, to) as typed, with the spacing between them.
  std::string Slice(std::size_t from, std::size_t to) const {
    std::size_t end = starts_[to - 1] + words_[to - 1].size();
    return std::string(body_.substr(starts_[from], end - starts_[from]));
  }

 private:
  std::string_view body_;
  std::vector<std::size_t> starts_;
  std::vector<std::string> words_;
};

// Where a comma or colon typed right after the customer ends it ("跟进
// 王总，电话沟通了", "回款 王总：2万"): the separator's offset in `word` and
// its length. An ASCII comma between digits belongs to a number.
std::optional<std::pair<std::size_t, std::size_t>> SeparatorIn(std::string_view word) {
  auto digit = [&](std::size_t i) { return i < word.size() && word[i] >= '0' && word[i] <= '9'; };
  for (std::size_t i = 0; i < word.size(); ++i) {
    for (std::string_view sep : {"，", "："}) {
      if (word.compare(i, sep.size(), sep) == 0) return std::pair{i, sep.size()};
    }
    if (word[i] == ':') return std::pair{i, std::size_t{1}};
    if (word[i] == ',' && !(i > 0 && digit(i - 1) && digit(i + 1)))
      return std::pair{i, std::size_t{1}};
  }
  return std::nullopt;
}

// A keyword without the "。" (or ".") that ends the rep's sentence.
std::string WithoutStop(std::string word) {
  for (std::string_view stop : {"。", "."}) {
    if (word.size() > stop.size() && word.ends_with(stop)) word.resize(word.size() - stop.size());
  }
  return word;
}

// A customer as typed, except that "＃12" is the id #12.
std::string Ref(const std::string& typed) {
  std::string normal = NormalizeText(typed);
  return !normal.empty() && normal[0] == '#' ? normal : typed;
}

// "5", "5%", "5.5", "0" → basis points in [0, 10000); a closing "。" is
// the end of the rep's sentence.
std::optional<int> ParsePercent(std::string text) {
  text = WithoutStop(std::move(text));
  if (!text.empty() && text.back() == '%') text.pop_back();
  if (text.empty() || text.size() > 8 || text.find_first_of("0123456789") == std::string::npos) {
    return std::nullopt;
  }
  int whole = 0;
  int fraction = 0;
  int digits_after = -1;
  for (char c : text) {
    if (c == '.' && digits_after < 0) {
      digits_after = 0;
    } else if (c >= '0' && c <= '9' && digits_after < 2) {
      if (digits_after < 0) {
        whole = whole * 10 + (c - '0');
        if (whole >= 100) return std::nullopt;  // 100 % or more: never a discount
      } else {
        fraction = fraction * 10 + (c - '0');
        ++digits_after;
      }
    } else {
      return std::nullopt;
    }
  }
  if (digits_after == 1) fraction *= 10;
  return whole * 100 + fraction;  // 0 is "no discount"
}

// "95折" (95 % of the price), "9折" (90 %), "8.5折" (85 %) → the discount in
// basis points: 500, 1000, 1500.
std::optional<int> ParseZhe(std::string text) {
  static constexpr std::string_view kZhe = "折";
  text = WithoutStop(std::move(text));
  if (text.size() <= kZhe.size() || !text.ends_with(kZhe)) return std::nullopt;
  auto x = ParsePercent(text.substr(0, text.size() - kZhe.size()));
  if (!x || *x == 0) return std::nullopt;
  if (*x < 1000) return 10000 - *x * 10;              // one digit: tenths
  if (*x > 1000 && *x % 100 == 0) return 10000 - *x;  // two digits: percent
  return std::nullopt;
}

cmd::Malformed Bad(const Spec& spec, std::string problem) {
  return {spec.name, std::move(problem)};
}

// An amount in the words from `at` to before `end`: one word ("2万",
// "¥20000"), or a currency sign or a unit typed apart ("¥ 20000",
// "20000 元", "2 万").
struct Amount {
  std::size_t at = 0;
  std::size_t end = 0;
  domain::Fen fen = 0;
};

bool IsCurrency(std::string_view word) {
  return word == "¥" || word == "￥" || Lower(word) == "rmb";
}

// What a unit typed as a word of its own adds to the number before it (the
// yuan adds nothing), or nothing if `word` is not one.
std::optional<std::string_view> UnitSuffix(std::string_view word) {
  for (std::string_view yuan : {"元", "块", "块钱"}) {
    if (word == yuan) return "";
  }
  for (std::string_view unit : {"万", "万元", "千", "千元", "w", "W", "k", "K"}) {
    if (word == unit) return unit;
  }
  return std::nullopt;
}

std::optional<Amount> AmountAt(const Args& w, std::size_t i) {
  std::string text = w.Norm(i);
  std::size_t end = i + 1;
  if (IsCurrency(text) && end < w.size()) text = w.Norm(end++);
  if (end < w.size()) {
    if (auto unit = UnitSuffix(w.Norm(end))) {
      auto fen = domain::ParseAmount(text + std::string(*unit));
      if (fen && *fen > 0) return Amount{i, end + 1, *fen};
    }
  }
  auto fen = domain::ParseAmount(text);
  if (fen && *fen > 0) return Amount{i, end, *fen};
  return std::nullopt;
}

// Digits only, as typed: a number that may be part of a name ("Room 101").
bool Plain(const Args& w, const Amount& amount) {
  std::string typed = w.Slice(amount.at, amount.end);
  return std::all_of(typed.begin(), typed.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The first amount after the first word whose following words `fits`: the
// customer is every word before it ("报价 Tom Lee 6万"). A name may hold
// plain numbers when a sum with a unit, a sign or a separator follows them
// ("回款 Room 101 2万", not "报价 王总 60000 5"). Without such an amount, the
// first one (what the rep's error is about).
template <class Fits>
std::optional<Amount> FindAmount(const Args& w, Fits fits) {
  std::optional<Amount> first;
  for (std::size_t i = 1; i < w.size(); ++i) {
    auto amount = AmountAt(w, i);
    if (!amount) continue;
    if (fits(amount->end) && (!first || !Plain(w, *amount))) return amount;
    if (!first) first = amount;
    if (!Plain(w, *amount)) break;
  }
  return first;
}

std::string AmountProblem(const std::string& typed) {
  return "金额“" + Echo(typed) + "”看不懂，可以写 12000、1.2万 或 12,000";
}

// A quote's discount, written in the words from `k` on: nothing, "折扣 5",
// "折扣5%", "折扣：5%" or "95折". `form` is false when the words are none of
// these; `bp` is empty when the percent is not one (`typed` is what it was).
struct Discount {
  bool form = false;
  std::optional<int> bp;
  std::string typed;
};

Discount ReadDiscount(const Args& w, std::size_t k) {
  std::size_t after = w.size() - k;
  if (after == 0) return {true, 0, ""};
  std::string key = Lower(w.Norm(k));
  std::string glued;  // what follows 折扣 or discount in the same word
  for (std::string_view word : {"折扣", "discount"}) {
    if (key.size() > word.size() && key.starts_with(word)) glued = key.substr(word.size());
  }
  if (glued == ":") {  // "折扣： 5%"
    key.pop_back();
    glued.clear();
  }
  if (glued.starts_with(':')) glued.erase(0, 1);
  if (after == 2 && (key == "折扣" || key == "discount")) {
    return {true, ParsePercent(w.Norm(k + 1)), w[k + 1]};
  }
  if (after == 1 && !glued.empty()) return {true, ParsePercent(glued), glued};  // 折扣5%
  if (after == 1) {
    if (auto bp = ParseZhe(key)) return {true, bp, w[k]};  // 95折
  }
  return {};
}

// After the amount: nothing, or a discount (ReadDiscount).
Command ParseQuote(const Spec& spec, const Args& w) {
  if (w.size() < 2) return Bad(spec, "请写明客户和金额");
  auto amount = FindAmount(w, [&](std::size_t end) { return ReadDiscount(w, end).form; });
  if (!amount) return Bad(spec, AmountProblem(w[w.size() - 1]));
  Discount discount = ReadDiscount(w, amount->end);
  if (!discount.form) return Bad(spec, "金额后面只能跟“折扣 <百分比>”或“<N>折”");
  if (!discount.bp) {
    return Bad(spec, "折扣“" + Echo(discount.typed) + "”应为 0 到 100 之间的百分比，例如 5 或 5%");
  }
  return cmd::Quote{Ref(w.Slice(0, amount->at)), amount->fen, *discount.bp,
                    WithoutEndPunctuation(w.Slice(0, amount->end))};
}

// A customer named in up to three words ("Tom Lee"), with the text after
// it, longest first: tried before the first word alone. A name that is all
// the words comes with no text ("输单 Tom Lee": the reason forgotten, not
// "Lee").
// Words up to a comma or colon in word `i` ("Tom Lee，电话沟通"), and the
// text after it, when word `i` has one after its first character.
std::optional<std::pair<std::string, std::string>> SplitAtSeparator(const Args& w, std::size_t i) {
  auto sep = SeparatorIn(w[i]);
  if (!sep || sep->first == 0) return std::nullopt;
  std::string through = w.Slice(0, i + 1);
  std::string name = through.substr(0, through.size() - (w[i].size() - sep->first));
  std::string text = w.Rest(i).substr(sep->first + sep->second);
  while (!text.empty() && SpaceAt(text, 0) > 0) text.erase(0, SpaceAt(text, 0));
  return std::pair{name, text};
}

cmd::LongerNames NameSplits(const Args& w) {
  cmd::LongerNames out;
  for (std::size_t k = 3; k >= 2; --k) {
    if (w.size() < k) continue;
    if (auto split = SplitAtSeparator(w, k - 1)) {
      out.push_back(*split);  // a name of k words ended by a comma
    } else if (w.size() > k) {
      out.emplace_back(w.Slice(0, k), w.Rest(k));
    } else {  // ended by the sentence's punctuation, if any ("输单 Tom Lee。")
      out.emplace_back(WithoutEndPunctuation(w.Slice(0, k)), "");
    }
  }
  return out;
}

Command ParseArgs(const Spec& spec, const Args& w) {
  auto need = [&](std::size_t n, const char* problem) -> std::optional<Command> {
    if (w.size() < n) return Bad(spec, problem);
    return std::nullopt;
  };
  switch (spec.kind) {
    case Kind::kHelp:
      return cmd::Help{};
    case Kind::kTodo:
      return cmd::Todo{};
    case Kind::kFunnel:
      return cmd::ShowFunnel{};
    case Kind::kDigest:
      return cmd::Digest{};
    case Kind::kTeam:
      return cmd::Team{};
    case Kind::kCustomer:
      if (auto bad = need(1, "请写明客户的名称、备注或编号")) return *bad;
      return cmd::ShowCustomer{Ref(w.Rest(0))};
    case Kind::kFollow:
      if (auto bad = need(2, "请写明客户和跟进内容")) return *bad;
      return cmd::Follow{Ref(w[0]), w.Rest(1), NameSplits(w)};
    case Kind::kStage: {
      if (auto bad = need(2, "请写明客户和阶段")) return *bad;
      std::size_t last = w.size() - 1;
      return cmd::MoveStage{Ref(w.Slice(0, last)), WithoutStop(w.Norm(last))};  // a keyword
    }
    case Kind::kQuote:
      return ParseQuote(spec, w);
    case Kind::kPaid: {
      if (auto bad = need(2, "请写明客户和金额")) return *bad;
      auto amount = FindAmount(w, [&](std::size_t end) { return end == w.size(); });
      if (!amount) return Bad(spec, AmountProblem(w[w.size() - 1]));
      if (amount->end != w.size()) {
        // A note after the amount ("2万 首期"): the amount was understood.
        return Bad(spec, "金额后面不能再写别的（“" + Echo(w.Rest(amount->end)) +
                             "”）；回款只记客户和金额，说明可以另发「跟进」");
      }
      return cmd::Paid{Ref(w.Slice(0, amount->at)), amount->fen,
                       WithoutEndPunctuation(w.Slice(0, amount->end))};
    }
    case Kind::kLost:
      if (auto bad = need(2, "请写明客户和输单原因")) return *bad;
      return cmd::Lost{Ref(w[0]), w.Rest(1), NameSplits(w)};
    case Kind::kTier: {
      if (auto bad = need(2, "请写明客户和等级 A、B 或 C")) return *bad;
      std::size_t last = w.size() - 1;
      std::string tier = Lower(WithoutStop(w.Norm(last)));
      for (std::string_view kind : {"类", "级"}) {  // "A类", as the bot's replies write it
        if (tier.size() > kind.size() && tier.ends_with(kind))
          tier.resize(tier.size() - kind.size());
      }
      if (tier.size() != 1 || tier[0] < 'a' || tier[0] > 'c') {
        return Bad(spec, "等级只能是 A、B 或 C");
      }
      return cmd::SetTier{Ref(w.Slice(0, last)), static_cast<char>(std::toupper(tier[0]))};
    }
  }
  return cmd::Unknown{};
}

}  // namespace

std::string NormalizeText(std::string_view text) {
  std::string wide;
  for (std::uint32_t cp : CodePoints(text)) {
    if (cp >= 0xFF01 && cp <= 0xFF5E) cp -= 0xFEE0;  // full-width ASCII
    if (cp == 0x3000 || cp == 0xA0 || cp == 0x200B || cp == 0xFEFF || cp == '\t' || cp == '\n' ||
        cp == '\r') {
      cp = ' ';
    }
    if (cp < 0x80 || cp >= kRawByte) {
      wide += static_cast<char>(cp & 0xFF);
    } else if (cp < 0x800) {
      wide += static_cast<char>(0xC0 | (cp >> 6));
      wide += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      wide += static_cast<char>(0xE0 | (cp >> 12));
      wide += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      wide += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      wide += static_cast<char>(0xF0 | (cp >> 18));
      wide += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      wide += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      wide += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  std::string out;
  for (char c : wide) {
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Echo(const std::string& typed) { return wecom::TruncateChars(typed, 20); }

std::string WithoutEndPunctuation(std::string text) {
  static const char* const kEnds[] = {"。", "！", "；", "，", "、", "：", "…",  "？", " ", "　",
                                      ".",  "!",  ";",  ",",  ":",  "?",  "\t", "\n", "\r"};
  for (bool cut = true; cut;) {
    cut = false;
    for (std::string_view end : kEnds) {
      if (text.ends_with(end)) {
        text.resize(text.size() - end.size());
        cut = true;
      }
    }
  }
  return text;
}

std::string Usage(std::string_view command) {
  for (const auto& spec : Specs()) {
    if (command == spec.name) return spec.usage;
  }
  return "";
}

Command ParseCommand(std::string_view raw) {
  auto ranges = WordRanges(raw);
  if (ranges.empty()) return cmd::Unknown{"", "帮助"};
  // From the first word to the end of the last one, as typed.
  std::size_t from = ranges.front().first;
  std::string_view body = raw.substr(from, ranges.back().first + ranges.back().second - from);
  std::string first = NormalizeText(raw.substr(from, ranges.front().second));
  if (ranges.size() == 1 && first.size() <= 2 &&
      std::all_of(first.begin(), first.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    int n = std::stoi(first);
    if (n > 0) return cmd::Choose{n};
  }
  // The command word from the normalised first word; the arguments as typed.
  auto [word, used] = CommandWord(first);
  const Spec* spec = FindSpec(word);
  if (!spec) return cmd::Unknown{std::string(body), Closest(word)};
  Args args(body);
  // The first argument, split where a comma or colon ends the customer
  // (not for 客户, whose argument is only a customer).
  auto add_first = [&](std::size_t start, std::size_t length) {
    auto sep =
        spec->kind == Kind::kCustomer ? std::nullopt : SeparatorIn(body.substr(start, length));
    if (!sep || sep->first == 0) return args.Add(start, length);
    args.Add(start, sep->first);
    std::size_t after = sep->first + sep->second;
    if (after < length) args.Add(start + after, length - after);
  };
  std::size_t glued = BytesOf(body.substr(0, ranges.front().second), used);
  bool first_added = glued < ranges.front().second;
  if (first_added) add_first(glued, ranges.front().second - glued);
  for (std::size_t i = 1; i < ranges.size(); ++i) {
    if (!first_added) {
      add_first(ranges[i].first - from, ranges[i].second);
      first_added = true;
    } else {
      args.Add(ranges[i].first - from, ranges[i].second);
    }
  }
  return ParseArgs(*spec, args);
}

}  // namespace scrm::bot
