// result.h: a value or the reason there is none (a one-line message for the user).
// Used where a function can fail for a reason the caller prints: Result<T> holds a T or an Error.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace tcpflow {

struct Error {
    std::string message;
};

template <class T>
class Result {
public:
    Result(T value) : v_{std::in_place_index<0>, std::move(value)} {}           // NOLINT: implicit on purpose
    Result(Error error) : v_{std::in_place_index<1>, std::move(error)} {}       // NOLINT: implicit on purpose

    [[nodiscard]] bool ok() const noexcept { return v_.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    [[nodiscard]] T& value() & { return std::get<0>(v_); }
    [[nodiscard]] const T& value() const& { return std::get<0>(v_); }
    [[nodiscard]] T&& value() && { return std::get<0>(std::move(v_)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

    /// The reason; only when !ok().
    [[nodiscard]] const std::string& error() const { return std::get<1>(v_).message; }

private:
    std::variant<T, Error> v_;
};

}  // namespace tcpflow
