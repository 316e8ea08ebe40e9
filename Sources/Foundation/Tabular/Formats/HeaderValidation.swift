/// Checks the column names of a CSV header (or an explicit list) before any data is read.
public enum HeaderValidation {
    /// The default longest column name, in characters.
    public static let defaultMaxNameLength = 128

    /// Returns the names trimmed of leading and trailing spaces and tabs, after checking that each is non-empty, at most
    /// `maxNameLength` characters long, and unique (case-sensitive, after trimming).
    /// - Parameters:
    ///   - names: the names as written, in column order.
    ///   - maxNameLength: the longest allowed name in characters; default 128.
    /// - Throws: ``TabularError/Code/invalidColumnName`` naming the first offending column by position and name.
    public static func validate(_ names: [String], maxNameLength: Int = defaultMaxNameLength) throws(TabularError) -> [String] {
        var positions: [String: Int] = [:]
        var trimmedNames: [String] = []
        trimmedNames.reserveCapacity(names.count)
        for (index, raw) in names.enumerated() {
            let name = trimmed(raw)
            let position = index + 1
            guard !name.isEmpty else {
                throw TabularError(.invalidColumnName, reason: "column \(position) of the header has no name; every column needs one")
            }
            let length = name.count
            guard length <= maxNameLength else {
                let reason =
                    "the name of column \(position), \(MessageText.quoted(name)), is \(length) characters long; the limit is \(maxNameLength)"
                throw TabularError(.invalidColumnName, reason: reason)
            }
            if let earlier = positions[name] {
                throw TabularError(.invalidColumnName, reason: "the header names column '\(name)' twice (columns \(earlier) and \(position))")
            }
            positions[name] = position
            trimmedNames.append(name)
        }
        return trimmedNames
    }

    /// The text without leading and trailing spaces and tabs.
    static func trimmed(_ text: String) -> String {
        let isPadding: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isPadding($0) }), let last = text.lastIndex(where: { !isPadding($0) }) else { return "" }
        if first == text.startIndex && last == text.index(before: text.endIndex) { return text }
        return String(text[first...last])
    }
}
