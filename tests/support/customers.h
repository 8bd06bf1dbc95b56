// A customer as a rep would type one in, for tests that need a few.
#pragma once

#include <cstdint>
#include <string>

#include "domain/customer.h"

namespace scrm::test {

inline domain::Customer MakeCustomer(const std::string& owner, const std::string& name,
                                     const std::string& company, const std::string& remark,
                                     std::int64_t created_at) {
  domain::Customer c;
  c.owner = owner;
  c.name = name;
  c.company = company;
  c.remark = remark;
  c.created_at = created_at;
  return c;
}

}  // namespace scrm::test
