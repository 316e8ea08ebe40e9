import Foundation

/// Server-rendered line charts: one or several series scaled into one SVG view box. The templates draw a `polyline`
/// per line (`chart-lines` partial markup), so pages need no script and pass the Content-Security-Policy.
enum SVGChart {
    /// One line: a name and its (x, y) points, oldest first.
    struct Line {
        var name: String
        var points: [(x: Double, y: Double)]
    }

    /// Colours of successive lines (the first is the brand colour).
    static let palette = ["#0f4c5c", "#e36414", "#5f0f40", "#2a9d8f", "#9a031e", "#6c757d"]

    /// The view model of a chart of `lines` (those with fewer than two finite points are left out); nil when none is
    /// left. Keys: `title`, `width`, `height`, `lines` (`name`, `points`, `color`, `last`), `minY`, `maxY`, `minX`,
    /// `maxX`, `count`, `hasLegend`.
    static func chart(title: String, _ lines: [Line], width: Double = 320, height: Double = 120) -> [String: Any]? {
        let drawn = lines.map { Line(name: $0.name, points: $0.points.filter { $0.x.isFinite && $0.y.isFinite }) }.filter { $0.points.count >= 2 }
        guard !drawn.isEmpty else { return nil }
        let xs = drawn.flatMap { $0.points.map(\.x) }, ys = drawn.flatMap { $0.points.map(\.y) }
        let (minX, maxX, minY, maxY) = (xs.min()!, xs.max()!, ys.min()!, ys.max()!)
        let spanX = maxX > minX ? maxX - minX : 1, spanY = maxY > minY ? maxY - minY : 1
        let pad = 6.0
        let rendered = drawn.enumerated().map { index, line -> [String: Any] in
            let points = line.points.map { point -> String in
                let x = pad + (point.x - minX) / spanX * (width - 2 * pad)
                let y = height - pad - (point.y - minY) / spanY * (height - 2 * pad)
                return String(format: "%.1f,%.1f", x, y)
            }
            return [
                "name": line.name, "points": points.joined(separator: " "), "color": palette[index % palette.count],
                "last": number(line.points.last!.y), "count": line.points.count,
            ]
        }
        return [
            "title": title, "width": Int(width), "height": Int(height), "lines": rendered, "hasLegend": drawn.count > 1,
            "minY": number(minY), "maxY": number(maxY), "minX": number(minX), "maxX": number(maxX), "count": drawn.map(\.points.count).max()!,
        ]
    }

    /// A number for a chart label or a table: 4 significant digits, trailing zeros dropped.
    static func number(_ value: Double) -> String {
        abs(value) >= 1e6 || (abs(value) < 1e-3 && value != 0) ? String(format: "%.4g", value) : String(format: "%.4f", value)
            .replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
    }
}
