#include "tcpflow/output/netviz_draw.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace tcpflow::netviz {

namespace {

constexpr std::int64_t kUs = 1000, kMs = 1000 * kUs, kSec = 1000 * kMs;

void set_color(cairo_t* cr, Rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

/// "N unit" or "N units".
std::string count_of(std::int64_t n, const char* unit) {
    return std::to_string(n) + " " + unit + (n == 1 ? "" : "s");
}

/// Left axis ticks (bytes) and right axis (cumulative share) of a plot area.
void draw_axes(cairo_t* cr, const Box& a, const std::string& top_left, bool cumulative) {
    set_color(cr, kBlack);
    cairo_set_line_width(cr, 0.5);
    cairo_move_to(cr, a.x, a.y);
    cairo_line_to(cr, a.x, a.y + a.h);
    cairo_line_to(cr, a.x + a.w, a.y + a.h);
    if (cumulative) cairo_line_to(cr, a.x + a.w, a.y);
    cairo_stroke(cr);
    text(cr, a.x - 2, a.y + 4, top_left, 5, Align::right);
    text(cr, a.x - 2, a.y + a.h, "0", 5, Align::right);
    if (cumulative) {
        text(cr, a.x + a.w + 2, a.y + 4, "100%", 5);
        text(cr, a.x + a.w + 2, a.y + a.h, "0%", 5);
    }
}

/// The cumulative share of `total` after each of `values`, as a step line over `n` slots of `a`.
void draw_cumulative(cairo_t* cr, const Box& a, const std::vector<std::uint64_t>& values, std::uint64_t total) {
    if (total == 0 || values.empty()) return;
    const double slot = a.w / static_cast<double>(values.size());
    double run = 0;
    set_color(cr, kBlack);
    cairo_set_line_width(cr, 0.6);
    cairo_move_to(cr, a.x, a.y + a.h);
    for (std::size_t i = 0; i < values.size(); ++i) {
        run += static_cast<double>(values[i]);
        const double y = a.y + a.h - a.h * std::min(1.0, run / static_cast<double>(total));
        cairo_line_to(cr, a.x + slot * static_cast<double>(i), y);
        cairo_line_to(cr, a.x + slot * static_cast<double>(i + 1), y);
    }
    cairo_stroke(cr);
}

}  // namespace

std::string grouped(std::uint64_t n) {
    std::string digits = std::to_string(n), out;
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i && (digits.size() - i) % 3 == 0) out += ',';
        out += digits[i];
    }
    return out;
}

std::string short_bytes(std::uint64_t n) {
    static const char* const units[] = {"B", "KB", "MB", "GB", "TB", "PB", "EB"};
    double v = static_cast<double>(n);
    std::size_t u = 0;
    while (v >= 1000 && u + 1 < std::size(units)) {
        v /= 1000;
        ++u;
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", v, units[u]);
    return buf;
}

std::string share(std::uint64_t part, std::uint64_t total) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f%%", total ? 100.0 * static_cast<double>(part) / static_cast<double>(total) : 0.0);
    return buf;
}

std::string utc_time(std::int64_t ns) {
    const std::int64_t s = ns >= 0 ? ns / kSec : -((-ns + kSec - 1) / kSec);
    const auto t = static_cast<std::time_t>(s);
    std::tm tm{};
    if (!gmtime_r(&t, &tm)) return std::to_string(s);
    char buf[64];
    std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return buf;
}

std::string duration_text(std::int64_t ns) {
    if (ns < kSec) {
        if (ns < kMs) return count_of(ns / kUs, "microsecond");
        return count_of(ns / kMs, "millisecond");
    }
    static const std::pair<std::int64_t, const char*> units[] = {
        {365LL * 86400, "year"}, {86400, "day"}, {3600, "hour"}, {60, "minute"}, {1, "second"}};
    std::int64_t s = ns / kSec;
    for (std::size_t i = 0; i < std::size(units); ++i) {
        if (s < units[i].first) continue;
        std::string out = count_of(s / units[i].first, units[i].second);
        const std::int64_t rest = s % units[i].first;
        if (i + 1 < std::size(units) && rest / units[i + 1].first > 0)
            out += ", " + count_of(rest / units[i + 1].first, units[i + 1].second);
        return out;
    }
    return "0 seconds";
}

std::string interval_text(std::int64_t ns) {
    if (ns < kMs) return std::to_string(ns / kUs) + " us";
    if (ns < kSec) return std::to_string(ns / kMs) + " ms";
    const std::int64_t s = ns / kSec;
    if (s % 86400 == 0) return count_of(s / 86400, "day");
    if (s % 3600 == 0) return count_of(s / 3600, "hour");
    if (s % 60 == 0) return count_of(s / 60, "minute");
    return count_of(s, "second");
}

std::string port_label(std::uint16_t port) {
    static const std::pair<std::uint16_t, const char*> names[] = {
        {20, "ftp-data"}, {21, "ftp"},    {22, "ssh"},    {23, "telnet"},  {25, "smtp"},   {53, "dns"},
        {80, "http"},     {110, "pop3"},  {143, "imap"},  {389, "ldap"},   {443, "https"}, {445, "smb"},
        {587, "submission"}, {993, "imaps"}, {3306, "mysql"}, {5432, "postgres"}, {6379, "redis"},
        {8080, "http-alt"}};
    std::string s = "Port " + std::to_string(port);
    for (const auto& [p, n] : names)
        if (p == port) s += std::string(" (") + n + ")";
    return s;
}

double text(cairo_t* cr, double x, double y, const std::string& s, double size, Align align, bool bold, Rgb color) {
    cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL, bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t ext{};
    cairo_text_extents(cr, s.c_str(), &ext);
    const double w = ext.x_advance;
    const double x0 = align == Align::left ? x : align == Align::center ? x - w / 2 : x - w;
    set_color(cr, color);
    cairo_move_to(cr, x0, y);
    cairo_show_text(cr, s.c_str());
    return w;
}

std::string fit(cairo_t* cr, const std::string& s, double size, double width) {
    cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    const auto width_of = [&](const std::string& t) {
        cairo_text_extents_t ext{};
        cairo_text_extents(cr, t.c_str(), &ext);
        return ext.x_advance;
    };
    if (width_of(s) <= width) return s;
    for (std::size_t keep = s.size(); keep > 4; --keep) {
        const std::size_t head = keep / 2, tail = keep - head;
        const std::string t = s.substr(0, head) + "..." + s.substr(s.size() - tail);
        if (width_of(t) <= width) return t;
    }
    return "...";
}

void draw_bar_chart(cairo_t* cr, const Box& box, const BarChart& chart) {
    text(cr, box.x + box.w / 2, box.y + 8, chart.title, 8, Align::center, true);
    const Box a{box.x + 22, box.y + 14, box.w - 44, box.h - 24};
    const std::uint64_t top = chart.values.empty() ? 0 : chart.values.front();
    draw_axes(cr, a, short_bytes(top), true);
    const std::size_t n = std::max<std::size_t>(chart.values.size(), 10);
    const double slot = a.w / static_cast<double>(n);
    for (std::size_t i = 0; i < chart.values.size(); ++i) {
        const double h = top ? a.h * static_cast<double>(chart.values[i]) / static_cast<double>(top) : 0;
        set_color(cr, i < chart.colors.size() ? chart.colors[i] : kGrey);
        cairo_rectangle(cr, a.x + slot * static_cast<double>(i) + slot * 0.1, a.y + a.h - h, slot * 0.8, h);
        cairo_fill(cr);
        text(cr, a.x + slot * (static_cast<double>(i) + 0.5), a.y + a.h + 7, std::to_string(i + 1), 5.5, Align::center);
    }
    draw_cumulative(cr, Box{a.x, a.y, slot * static_cast<double>(chart.values.size()), a.h}, chart.values, chart.total);
}

void draw_stacked_bars(cairo_t* cr, const Box& box, const StackedBars& bars) {
    const Box a{box.x + 28, box.y, box.w - 56, box.h - 16};
    std::uint64_t top = 0, total = 0;
    for (const auto v : bars.totals) {
        top = std::max(top, v);
        total += v;
    }
    draw_axes(cr, a, short_bytes(top), true);
    const double slot = bars.totals.empty() ? 0 : a.w / static_cast<double>(bars.totals.size());
    for (std::size_t i = 0; i < bars.totals.size() && top; ++i) {
        const double scale = a.h / static_cast<double>(top);
        double y = a.y + a.h;
        std::uint64_t drawn = 0;
        for (std::size_t s = 0; s < bars.series.size(); ++s) {
            const std::uint64_t v = bars.series[s][i];
            drawn += v;
            set_color(cr, bars.colors[s]);
            cairo_rectangle(cr, a.x + slot * static_cast<double>(i), y - scale * static_cast<double>(v),
                            std::max(slot * 0.85, 0.3), scale * static_cast<double>(v));
            cairo_fill(cr);
            y -= scale * static_cast<double>(v);
        }
        const std::uint64_t rest = bars.totals[i] > drawn ? bars.totals[i] - drawn : 0;
        set_color(cr, kGrey);
        cairo_rectangle(cr, a.x + slot * static_cast<double>(i), y - scale * static_cast<double>(rest),
                        std::max(slot * 0.85, 0.3), scale * static_cast<double>(rest));
        cairo_fill(cr);
    }
    draw_cumulative(cr, a, bars.totals, total);
    text(cr, a.x, a.y + a.h + 7, bars.left_label, 5.5);
    text(cr, a.x + a.w, a.y + a.h + 7, bars.right_label, 5.5, Align::right);
    text(cr, a.x + a.w / 2, a.y + a.h + 14, bars.caption, 7, Align::center);
}

void draw_packetfall(cairo_t* cr, const Box& box, const Packetfall& pf) {
    if (pf.rows.empty()) return;
    const double label_w = 70;
    const Box a{box.x + label_w, box.y, box.w - label_w - 28, box.h};
    const double row_h = a.h / static_cast<double>(pf.rows.size());
    std::uint64_t most = 0;
    for (const auto& r : pf.rows)
        for (const auto v : r) most = std::max(most, v);
    for (std::size_t r = 0; r < pf.rows.size(); ++r) {
        const double y = a.y + row_h * static_cast<double>(r);
        text(cr, a.x - 3, y + row_h / 2 + 2, fit(cr, pf.row_labels[r], 5.5, label_w - 6), 5.5, Align::right);
        const auto& row = pf.rows[r];
        const double cell = row.empty() ? 0 : a.w / static_cast<double>(row.size());
        const Rgb c = pf.colors[r];
        for (std::size_t i = 0; i < row.size(); ++i) {
            if (row[i] == 0 || most == 0) continue;
            const double t = std::log1p(static_cast<double>(row[i])) / std::log1p(static_cast<double>(most));
            const double k = 0.15 + 0.85 * t;   // 0.15: one packet is still visible
            cairo_set_source_rgb(cr, 1 - k * (1 - c.r), 1 - k * (1 - c.g), 1 - k * (1 - c.b));
            cairo_rectangle(cr, a.x + cell * static_cast<double>(i), y + 0.5, std::max(cell * 0.95, 0.3), row_h - 1);
            cairo_fill(cr);
        }
    }
    set_color(cr, kBlack);
    cairo_set_line_width(cr, 0.5);
    cairo_rectangle(cr, a.x, a.y, a.w, a.h);
    cairo_stroke(cr);
}

void draw_legend(cairo_t* cr, const Box& box, const std::vector<std::string>& labels, const std::vector<Rgb>& colors) {
    double width = 0;
    cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, 6.5);
    std::vector<double> w;
    for (const auto& l : labels) {
        cairo_text_extents_t ext{};
        cairo_text_extents(cr, l.c_str(), &ext);
        w.push_back(ext.x_advance);
        width += 9 + ext.x_advance + 10;
    }
    double x = box.x + std::max(0.0, (box.w - width) / 2);
    for (std::size_t i = 0; i < labels.size(); ++i) {
        set_color(cr, colors[i]);
        cairo_rectangle(cr, x, box.y + box.h / 2 - 3.5, 7, 7);
        cairo_fill(cr);
        text(cr, x + 9, box.y + box.h / 2 + 2.5, labels[i], 6.5);
        x += 9 + w[i] + 10;
    }
}

}  // namespace tcpflow::netviz
