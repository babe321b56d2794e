// Argument checks that throw. Bindings validate every argument with these
// before any kernel touches memory; the messages name the argument and what
// was expected. std::invalid_argument becomes ValueError in Python and
// rb::type_error becomes TypeError (registered in bind/module.cpp).
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace rb {

struct type_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

template <class... Parts>
std::string cat(const Parts&... parts) {
  std::ostringstream out;
  (out << ... << parts);
  return out.str();
}

}  // namespace rb

#define RB_CHECK(cond, ...)                                       \
  do {                                                            \
    if (!(cond)) throw std::invalid_argument(::rb::cat(__VA_ARGS__)); \
  } while (0)

#define RB_CHECK_TYPE(cond, ...)                                  \
  do {                                                            \
    if (!(cond)) throw ::rb::type_error(::rb::cat(__VA_ARGS__));  \
  } while (0)
