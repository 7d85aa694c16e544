// mime_types.h: media type -> file extension, 1.6.1's table (HTTP body file names).
#pragma once

#include <string_view>

namespace tcpflow {

/// The extension (without the dot) for a lower-case media type such as "image/png"; "" when the
/// type is not in tcpflow 1.6.1's table.
[[nodiscard]] std::string_view extension_for_media_type(std::string_view type) noexcept;

/// The table is sorted (binary search needs it); for tests.
[[nodiscard]] bool mime_table_is_sorted() noexcept;

}  // namespace tcpflow
