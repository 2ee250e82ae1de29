import Foundation

/// The line on which each key of the file is written, so that problems are reported
/// in file order (the TOML library hands keys back sorted, without positions).
///
/// A best-effort scan of the text that has already parsed as TOML: it follows table
/// headers, `key = value` lines and multi-line strings and arrays. A key it cannot
/// place (inside an inline table, say) simply has no line and is checked after the
/// keys it could place.
struct SourceMap {
    enum Section: Hashable {
        case root
        case table(String)             // [webex]
        case element(String, Int)      // the n-th [[nodes]]
    }

    private var lines: [Section: [String: Int]] = [:]

    func line(of key: String, in section: Section) -> Int? {
        lines[section]?[key]
    }

    /// `keys` ordered by their line in `section`; keys without a line follow, in `canonical`
    /// order and then alphabetically.
    func ordered(_ keys: [String], in section: Section, canonical: [String]) -> [String] {
        func rank(_ key: String) -> (Int, Int, String) {
            if let line = line(of: key, in: section) { return (0, line, key) }
            return (1, canonical.firstIndex(of: key) ?? canonical.count, key)
        }
        return keys.sorted { rank($0) < rank($1) }
    }

    init(text: String) {
        enum Mode { case normal, basicString, literalString, array(Int) }
        var mode = Mode.normal
        var section = Section.root
        var arrayCounts: [String: Int] = [:]

        func record(_ key: String, _ section: Section, _ line: Int) {
            if lines[section]?[key] == nil { lines[section, default: [:]][key] = line }
        }

        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = offset + 1
            var line = Substring(rawLine)
            switch mode {
            case .basicString:
                if line.contains("\"\"\"") { mode = .normal }
                continue
            case .literalString:
                if line.contains("'''") { mode = .normal }
                continue
            case .array(let depth):
                let newDepth = depth + Self.bracketBalance(line)
                mode = newDepth > 0 ? .array(newDepth) : .normal
                continue
            case .normal:
                break
            }
            line = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{FEFF}" })
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("\r") { continue }

            if line.hasPrefix("[[") {
                guard let end = line.range(of: "]]") else { continue }
                let name = Self.headerName(line[line.index(line.startIndex, offsetBy: 2)..<end.lowerBound])
                let index = arrayCounts[name, default: 0]
                arrayCounts[name] = index + 1
                section = .element(name, index)
                record(Self.firstComponent(name), .root, number)
                continue
            }
            if line.hasPrefix("[") {
                guard let end = line.firstIndex(of: "]") else { continue }
                let name = Self.headerName(line[line.index(after: line.startIndex)..<end])
                section = .table(name)
                record(Self.firstComponent(name), .root, number)
                continue
            }
            guard let equals = Self.firstUnquoted("=", in: line) else { continue }
            let key = Self.firstComponent(Self.headerName(line[..<equals]))
            record(key, section, number)

            let value = line[line.index(after: equals)...].drop(while: { $0 == " " || $0 == "\t" })
            if value.hasPrefix("\"\"\"") {
                if !value.dropFirst(3).contains("\"\"\"") { mode = .basicString }
            } else if value.hasPrefix("'''") {
                if !value.dropFirst(3).contains("'''") { mode = .literalString }
            } else if value.hasPrefix("[") {
                let depth = Self.bracketBalance(value)
                if depth > 0 { mode = .array(depth) }
            }
        }
    }

    /// A header or key with its spaces trimmed (`[ nodes ]`, `"name" = …`).
    private static func headerName(_ text: Substring) -> String {
        text.trimmingCharacters(in: .whitespaces)
    }

    /// The first part of a dotted key, unquoted: `webex.client_id` → `webex`.
    private static func firstComponent(_ key: String) -> String {
        var part = key
        if let first = key.first, first == "\"" || first == "'" {
            if let close = key.dropFirst().firstIndex(of: first) {
                part = String(key[key.index(after: key.startIndex)..<close])
            }
            return part
        }
        if let dot = key.firstIndex(of: ".") { part = String(key[..<dot]) }
        return part.trimmingCharacters(in: .whitespaces)
    }

    private static func firstUnquoted(_ target: Character, in line: Substring) -> String.Index? {
        var quote: Character?
        var escaped = false
        for index in line.indices {
            let ch = line[index]
            if let q = quote {
                if escaped { escaped = false } else if ch == "\\" && q == "\"" { escaped = true } else if ch == q { quote = nil }
            } else if ch == "\"" || ch == "'" {
                quote = ch
            } else if ch == target {
                return index
            } else if ch == "#" {
                return nil
            }
        }
        return nil
    }

    /// Opening minus closing brackets outside strings and comments.
    private static func bracketBalance(_ text: Substring) -> Int {
        var depth = 0
        var quote: Character?
        var escaped = false
        for ch in text {
            if let q = quote {
                if escaped { escaped = false } else if ch == "\\" && q == "\"" { escaped = true } else if ch == q { quote = nil }
            } else if ch == "\"" || ch == "'" {
                quote = ch
            } else if ch == "#" {
                break
            } else if ch == "[" || ch == "{" {
                depth += 1
            } else if ch == "]" || ch == "}" {
                depth -= 1
            }
        }
        return depth
    }
}
