// Lets Catch print boost::system::result values (ok, or the error message).
#pragma once

#include <boost/system/result.hpp>
#include <catch2/catch.hpp>
#include <string>

namespace Catch {

template <class T, class E>
struct StringMaker<boost::system::result<T, E>> {
  static std::string convert(const boost::system::result<T, E>& r) {
    if (r.has_value()) return "ok";
    return "error: " + r.error().message();
  }
};

}  // namespace Catch
