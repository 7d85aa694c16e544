// naming.h: flow file names from tcpflow's -T templates and -F modifiers.
//
// Default template "%A.%a-%B.%b%V%v%C%c": IPv4 as zero-padded dotted quads, IPv6 as inet_ntop
// text, ports as five digits, "--VID" for the outermost VLAN (none for VID 0), "cN" for the N-th
// name already taken. A '/' in the template makes sub-folders. A UDP flow's name (--udp) ends in
// "-udp" unless the template names the protocol itself (%P: "tcp" or "udp"), so it never takes
// a TCP flow's name. Expanded names never leave the
// output folder: no absolute paths, no ".." components.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "tcpflow/base/address.h"
#include "tcpflow/base/timestamp.h"

namespace tcpflow {

inline constexpr std::string_view kDefaultTemplate = "%A.%a-%B.%b%V%v%C%c";

/// What a template can name about one flow direction.
struct FlowNameInfo {
    IpAddress src, dst;
    std::uint16_t sport = 0, dport = 0;
    std::uint16_t vlan = 0;            ///< outermost VID; 0 = no VLAN suffix
    Timestamp first_seen;              ///< first packet of the direction (%T, %t)
    std::uint64_t flow_index = 0;      ///< creation order of all flow directions, from 0 (%N %K %M %G)
    std::uint64_t session_id = 0;      ///< shared by both directions of a connection (%S)
    bool has_mac = false;
    std::array<std::uint8_t, 6> src_mac{}, dst_mac{};   ///< %E %e (all zero when !has_mac)
    bool udp = false;                  ///< a UDP flow (--udp): %P is "udp", else "tcp"
};

/// What a UDP flow's name ends with when the template has no %P.
inline constexpr std::string_view kUdpSuffix = "-udp";

class NameTemplate {
public:
    /// Validates `tmpl` (every escape known, no absolute path, no ".." component) and appends
    /// "%C%c" when the template has no %c, as 1.6.1 does. Error: a one-line reason.
    static std::variant<NameTemplate, std::string> parse(std::string_view tmpl);

    /// Expands for one flow direction; `count` is the collision counter (0 for the first name).
    /// A UDP flow's name gets kUdpSuffix at the end when the template has no %P.
    [[nodiscard]] std::string expand(const FlowNameInfo& info, unsigned count) const;
    /// The same, appended to `out` (no allocation when it has room).
    void append_to(std::string& out, const FlowNameInfo& info, unsigned count) const;
    /// True when expand() depends on `count` (so a taken name can be retried with count+1).
    [[nodiscard]] bool uses_count() const noexcept { return uses_count_; }
    [[nodiscard]] const std::string& text() const noexcept { return text_; }
    /// True when names hold both addresses and ports as the default template does
    /// ("%A.%a-%B.%b"): two directions with different addresses or ports never get one name.
    [[nodiscard]] bool names_endpoints() const noexcept;

private:
    std::string text_;
    bool uses_count_ = true;
    bool names_protocol_ = false;   ///< the template has %P
};

/// Applies -F modifiers (t T k m g c) to a template text, in order. Letters that are not
/// template modifiers (X, M) are ignored here. Error: a one-line reason naming the letter.
std::variant<std::string, std::string> apply_format_flags(std::string tmpl, std::string_view flags);

}  // namespace tcpflow
