// netviz_draw.h: the pieces the netviz page is drawn from (cairo's toy text API): text, a bar
// chart with its cumulative line, the stacked time histogram, the packetfall, and the texts
// the page prints (numbers, shares, times, lengths of time). Only output/ includes cairo.
#pragma once

#include <cairo.h>

#include <cstdint>
#include <string>
#include <vector>

namespace tcpflow::netviz {

struct Rgb {
    double r = 0, g = 0, b = 0;
};
inline constexpr Rgb kGrey{0.67, 0.67, 0.67};
inline constexpr Rgb kBlack{0, 0, 0};

/// A rectangle of the page, in points.
struct Box {
    double x = 0, y = 0, w = 0, h = 0;
};

// Texts (pure functions).
/// 1234567 -> "1,234,567".
[[nodiscard]] std::string grouped(std::uint64_t n);
/// 1536 -> "1.5 KB" (powers of 1000, as 1.6.1: B, KB, MB, GB, TB).
[[nodiscard]] std::string short_bytes(std::uint64_t n);
/// part of total as "12.3%" (one decimal; "0.0%" when total is 0).
[[nodiscard]] std::string share(std::uint64_t part, std::uint64_t total);
/// Unix nanoseconds as "2012-02-15 17:42:57 UTC".
[[nodiscard]] std::string utc_time(std::int64_t ns);
/// A length of time in its two coarsest units: "27 seconds", "3 hours, 5 minutes", "250 ms".
[[nodiscard]] std::string duration_text(std::int64_t ns);
/// A bar width of the ladder: "1 second", "100 ms", "10 days".
[[nodiscard]] std::string interval_text(std::int64_t ns);
/// "Port 443 (https)" or "Port 40000".
[[nodiscard]] std::string port_label(std::uint16_t port);

// Drawing.
enum class Align { left, center, right };
/// Draws `text` with its baseline at y; returns its width.
double text(cairo_t* cr, double x, double y, const std::string& s, double size, Align align = Align::left,
            bool bold = false, Rgb color = kBlack);
/// `s` shortened with "..." in the middle to fit `width` at `size`.
[[nodiscard]] std::string fit(cairo_t* cr, const std::string& s, double size, double width);

/// A bar chart in `box` (title above, labels 1..n under the bars, the cumulative share of
/// `total` as a line with a 0-100% axis on the right).
struct BarChart {
    std::string title;
    std::vector<std::uint64_t> values;   ///< largest first
    std::vector<Rgb> colors;             ///< per bar; kGrey when missing
    std::uint64_t total = 0;
};
void draw_bar_chart(cairo_t* cr, const Box& box, const BarChart& chart);

/// The time histogram: bars stacked by series (series[i][bar]; what they leave of the bar's
/// total is drawn grey), the cumulative line, the time axis.
struct StackedBars {
    std::vector<std::uint64_t> totals;
    std::vector<std::vector<std::uint64_t>> series;
    std::vector<Rgb> colors;
    std::string left_label, right_label, caption;
};
void draw_stacked_bars(cairo_t* cr, const Box& box, const StackedBars& bars);

/// The packetfall: one row per series (label at the left), one cell per bar, darker for more
/// packets (log scale).
struct Packetfall {
    std::vector<std::string> row_labels;
    std::vector<std::vector<std::uint64_t>> rows;
    std::vector<Rgb> colors;
};
void draw_packetfall(cairo_t* cr, const Box& box, const Packetfall& pf);

/// A legend line: colour chips and labels, centred in `box`.
void draw_legend(cairo_t* cr, const Box& box, const std::vector<std::string>& labels, const std::vector<Rgb>& colors);

}  // namespace tcpflow::netviz
