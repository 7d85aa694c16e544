// naming_test: -T escapes, -F modifiers and template validation, against tcpflow 1.6.1's examples.
#include "tcpflow/flow/naming.h"

#include <gtest/gtest.h>

#include <string>

using namespace tcpflow;

namespace {

FlowNameInfo v4_info() {
    FlowNameInfo i;
    i.src = IpAddress::v4(10, 0, 0, 1);
    i.dst = IpAddress::v4(10, 0, 0, 2);
    i.sport = 1234;
    i.dport = 80;
    i.first_seen = Timestamp::from_sec_usec(1600000000, 1000);
    return i;
}

IpAddress v6(std::initializer_list<std::uint8_t> b) {
    std::array<std::uint8_t, 16> raw{};
    std::size_t n = 0;
    for (auto x : b) raw[n++] = x;
    return IpAddress::v6(Bytes{raw.data(), raw.size()});
}

NameTemplate must_parse(std::string_view t) {
    auto r = NameTemplate::parse(t);
    if (auto* err = std::get_if<std::string>(&r)) {
        ADD_FAILURE() << "template '" << t << "' rejected: " << *err;
        return std::get<NameTemplate>(NameTemplate::parse(kDefaultTemplate));
    }
    return std::get<NameTemplate>(r);
}

std::string expand(std::string_view t, const FlowNameInfo& i, unsigned count = 0) {
    return must_parse(t).expand(i, count);
}

std::string flags(std::string_view tmpl, std::string_view f) {
    auto r = apply_format_flags(std::string(tmpl), f);
    EXPECT_EQ(r.index(), 0u) << "flags " << f << ": " << std::get<1>(r);
    return r.index() == 0 ? std::get<0>(r) : std::string();
}

}  // namespace

TEST(Naming, DefaultIpv4) {
    const auto i = v4_info();
    EXPECT_EQ(expand(kDefaultTemplate, i), "010.000.000.001.01234-010.000.000.002.00080");
    EXPECT_EQ(expand(kDefaultTemplate, i, 1), "010.000.000.001.01234-010.000.000.002.00080c1");
    EXPECT_EQ(expand(kDefaultTemplate, i, 12), "010.000.000.001.01234-010.000.000.002.00080c12");
    auto r = i;
    std::swap(r.src, r.dst);
    std::swap(r.sport, r.dport);
    EXPECT_EQ(expand(kDefaultTemplate, r), "010.000.000.002.00080-010.000.000.001.01234");
}

TEST(Naming, DefaultVlan) {
    auto i = v4_info();
    i.vlan = 42;
    EXPECT_EQ(expand(kDefaultTemplate, i), "010.000.000.001.01234-010.000.000.002.00080--42");
    EXPECT_EQ(expand(kDefaultTemplate, i, 2), "010.000.000.001.01234-010.000.000.002.00080--42c2");
    i.vlan = 0;  // VID 0: priority tag only, no suffix
    EXPECT_EQ(expand(kDefaultTemplate, i), "010.000.000.001.01234-010.000.000.002.00080");
    i.vlan = 4095;
    EXPECT_EQ(expand(kDefaultTemplate, i), "010.000.000.001.01234-010.000.000.002.00080--4095");
}

TEST(Naming, DefaultIpv6) {
    auto i = v4_info();
    i.src = v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
    i.dst = v6({0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2});
    EXPECT_EQ(expand(kDefaultTemplate, i), "2001:db8::1.01234-2001:db8::1:0:0:2.00080");
}

TEST(Naming, AllEscapesLike161) {
    // Reference section 2.3, verified on 08_vlan42.pcap.
    auto i = v4_info();
    i.vlan = 42;
    i.has_mac = true;
    i.src_mac = {0, 0, 0, 0, 0, 1};
    i.dst_mac = {0, 0, 0, 0, 0, 2};
    EXPECT_EQ(expand("%A_%a_%B_%b_%T_%t_V%V_v%v_c%c_C%C_#%#_N%N_K%K_M%M_G%G_S%S_E%E_e%e_%%", i),
              "010.000.000.001_01234_010.000.000.002_00080_2020-09-13T12:26:40Z_1600000000_V--_v42_c_C_#0_"
              "N000_K000_M000_G000_S00000000000000000000_E00:00:00:00:00:01_e00:00:00:00:00:02_%");
}

struct EscapeCase {
    const char* tmpl;
    unsigned count;
    const char* expected;
};

TEST(Naming, EachEscape) {
    auto i = v4_info();
    i.flow_index = 1'234'567'891'234ull;
    i.session_id = 77;
    i.vlan = 7;
    i.src_mac = {0xde, 0xad, 0xbe, 0xef, 0x00, 0x0a};
    i.dst_mac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    i.has_mac = true;
    const EscapeCase cases[] = {
        {"%A%c", 0, "010.000.000.001"},
        {"%a%c", 0, "01234"},
        {"%B%c", 0, "010.000.000.002"},
        {"%b%c", 0, "00080"},
        {"%T%c", 0, "2020-09-13T12:26:40Z"},
        {"%t%c", 0, "1600000000"},
        {"x%V%c", 0, "x--"},
        {"x%v%c", 0, "x7"},
        {"x%C%c", 0, "x"},
        {"x%C%c", 3, "xc3"},
        {"x%c", 5, "x5"},
        {"x%#", 0, "x0"},
        {"x%#", 4, "x4"},
        {"%N%c", 0, "234"},
        {"%K%c", 0, "891"},
        {"%M%c", 0, "567"},
        {"%G%c", 0, "234"},
        {"%S%c", 0, "00000000000000000077"},
        {"%E%c", 0, "de:ad:be:ef:00:0a"},
        {"%e%c", 0, "ff:ff:ff:ff:ff:ff"},
        {"100%%%c", 0, "100%"},
        {"a/b/%A%c", 0, "a/b/010.000.000.001"},
    };
    for (const auto& c : cases) EXPECT_EQ(expand(c.tmpl, i, c.count), c.expected) << c.tmpl;
}

TEST(Naming, SmallFlowIndexPadded) {
    auto i = v4_info();
    i.flow_index = 5;
    EXPECT_EQ(expand("%G/%M/%K/%N", i), "000/000/000/005");
    i.flow_index = 1'005;
    EXPECT_EQ(expand("%K-%N", i), "001-005");
}

TEST(Naming, AppendsCounterWhenMissing) {
    EXPECT_EQ(must_parse("%A.%a").text(), "%A.%a%C%c");
    EXPECT_EQ(must_parse(kDefaultTemplate).text(), std::string(kDefaultTemplate));
    EXPECT_EQ(must_parse("x%c").text(), "x%c");
    EXPECT_EQ(must_parse("x%#").text(), "x%#");  // %# already numbers every name
    EXPECT_TRUE(must_parse("%A").uses_count());
    const auto i = v4_info();
    EXPECT_EQ(expand("%A.%a-%B.%b", i, 1), "010.000.000.001.01234-010.000.000.002.00080c1");
}

TEST(Naming, Sub_folders) {
    const auto i = v4_info();
    EXPECT_EQ(expand("flows/%A/%a/%B/%b/x", i), "flows/010.000.000.001/01234/010.000.000.002/00080/x");
    EXPECT_EQ(expand("flows/%A/%a/%B/%b/x", i, 1), "flows/010.000.000.001/01234/010.000.000.002/00080/xc1");
}

TEST(Naming, RejectsBadTemplates) {
    const struct {
        const char* tmpl;
        const char* needle;
    } bad[] = {
        {"%Q", "unknown escape %Q"},
        {"%A-%z", "unknown escape %z"},
        {"abc%", "lone %"},
        {"", "empty"},
        {"/tmp/x", "absolute"},
        {"../x", ".."},
        {"a/../x", ".."},
        {"a/..", ".."},
        {"..", ".."},
        {".%C%c./x", ".."},
        {"dir/", "nothing"},
        {"dir/%V%v", "nothing"},
        {"dir/.", "nothing"},
    };
    for (const auto& b : bad) {
        auto r = NameTemplate::parse(b.tmpl);
        ASSERT_EQ(r.index(), 1u) << b.tmpl;
        const auto& err = std::get<std::string>(r);
        EXPECT_NE(err.find(b.needle), std::string::npos) << b.tmpl << " -> " << err;
        EXPECT_EQ(err.rfind("invalid template '", 0), 0u) << err;
        EXPECT_EQ(err.find('\n'), std::string::npos) << err;
    }
    // "%V%v." collapses to "." without a VLAN (harmless), and "..%C%c" would become "..".
    EXPECT_EQ(NameTemplate::parse("a/%V%v./x").index(), 0u);
    EXPECT_EQ(NameTemplate::parse("..%C%c").index(), 1u);
    EXPECT_EQ(NameTemplate::parse("..x").index(), 0u);
    EXPECT_EQ(NameTemplate::parse("a..b/c").index(), 0u);
    EXPECT_EQ(NameTemplate::parse("%%Q").index(), 0u);
}

TEST(Naming, FormatFlagsLike161) {
    const std::string d(kDefaultTemplate);
    const auto i = v4_info();
    const struct {
        const char* f;
        const char* expected;
    } cases[] = {
        {"t", "1600000000T010.000.000.001.01234-010.000.000.002.00080"},
        {"T", "2020-09-13T12:26:40Z010.000.000.001.01234-010.000.000.002.00080"},
        {"tT", "2020-09-13T12:26:40Z1600000000T010.000.000.001.01234-010.000.000.002.00080"},
        {"k", "000/010.000.000.001.01234-010.000.000.002.00080"},
        {"m", "000000-000999/000000/010.000.000.001.01234-010.000.000.002.00080"},
        {"g", "000000000-000999999/000000000-000000999/000000000/010.000.000.001.01234-010.000.000.002.00080"},
        {"X", "010.000.000.001.01234-010.000.000.002.00080"},
        {"M", "010.000.000.001.01234-010.000.000.002.00080"},
        {"", "010.000.000.001.01234-010.000.000.002.00080"},
    };
    for (const auto& c : cases) EXPECT_EQ(expand(flags(d, c.f), i), c.expected) << "-F" << c.f;
    EXPECT_EQ(flags(d, "k"), "%K/" + d);
    EXPECT_EQ(flags(d, "m"), "%M000-%M999/%M%K/" + d);
    EXPECT_EQ(flags(d, "g"), "%G000000-%G999999/%G%M000-%G%M999/%G%M%K/" + d);
}

TEST(Naming, FormatFlagCAlwaysNumbers) {
    const std::string d(kDefaultTemplate);
    const auto i = v4_info();
    const std::string t = flags(d, "c");
    EXPECT_EQ(t, "%A.%a-%B.%b%V%vc%#");
    EXPECT_EQ(flags(t, "c"), t);  // idempotent
    const auto nt = must_parse(t);
    EXPECT_TRUE(nt.uses_count());
    EXPECT_EQ(nt.expand(i, 0), "010.000.000.001.01234-010.000.000.002.00080c0");
    EXPECT_EQ(nt.expand(i, 1), "010.000.000.001.01234-010.000.000.002.00080c1");
    EXPECT_EQ(nt.expand(i, 2), "010.000.000.001.01234-010.000.000.002.00080c2");
    // Every count gives a different name, so the collision loop always ends.
    EXPECT_NE(nt.expand(i, 3), nt.expand(i, 4));
    // A template without a counter gets one.
    EXPECT_EQ(flags("%A", "c"), "%Ac%#");
    EXPECT_EQ(flags("%A%c", "c"), "%A%#");
    EXPECT_EQ(flags("%A%%c", "c"), "%A%%cc%#");
}

TEST(Naming, FormatFlagsUnknownLetter) {
    auto r = apply_format_flags(std::string(kDefaultTemplate), "kq");
    ASSERT_EQ(r.index(), 1u);
    EXPECT_NE(std::get<1>(r).find("'q'"), std::string::npos);
}

// -j workers create files on their I/O threads only when names hold both endpoints the default
// way (no other worker can then take one of a worker's names).
TEST(Naming, NamesEndpointsOnlyForTheDefaultLayout) {
    auto t = [](std::string_view s) { return std::get<NameTemplate>(NameTemplate::parse(s)); };
    EXPECT_TRUE(t(kDefaultTemplate).names_endpoints());
    EXPECT_TRUE(t("%T-%A.%a-%B.%b").names_endpoints());
    EXPECT_FALSE(t("%A%a%B%b").names_endpoints());
    EXPECT_FALSE(t("%a-%b").names_endpoints());
    EXPECT_FALSE(t("%%A.%a-%B.%b").names_endpoints());
}

TEST(Naming, UdpFlowsGetASuffixAfterTheCounterUnlessTheTemplateNamesTheProtocol) {
    auto i = v4_info();
    i.udp = true;
    EXPECT_EQ(expand(kDefaultTemplate, i), "010.000.000.001.01234-010.000.000.002.00080-udp");
    EXPECT_EQ(expand(kDefaultTemplate, i, 2), "010.000.000.001.01234-010.000.000.002.00080c2-udp");
    EXPECT_EQ(expand("%P/%A.%a-%B.%b", i), "udp/010.000.000.001.01234-010.000.000.002.00080");
    EXPECT_EQ(expand("flows/%A-%B", i), "flows/010.000.000.001-010.000.000.002-udp");
    i.udp = false;
    EXPECT_EQ(expand("%P/%A.%a-%B.%b", i), "tcp/010.000.000.001.01234-010.000.000.002.00080");
    EXPECT_EQ(expand(kDefaultTemplate, i), "010.000.000.001.01234-010.000.000.002.00080");
}
