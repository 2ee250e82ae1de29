/// Finds a TOML table header that opens with neither a key nor a quote: `[!]`, `[é]`,
/// `[[ {x}]]`, a `[` alone on its line.
///
/// toml++, the parser inside TOMLKit, does not check this: it asserts it, and SwiftPM
/// compiles C++ without NDEBUG, so such a header aborted the process (a build without
/// assertions would assume it instead, which is no better). The loader refuses the
/// file at that spot before the parser sees it (found by Tests/Fuzz/Config).
///
/// The scan follows what starts a statement in TOML: a line outside strings, comments
/// and multi-line arrays. Where the text is broken before the header in a way that the
/// scan reads otherwise than the parser, the file is refused either way.
///
/// It also refuses arrays and inline tables nested more than `deepest` levels: the
/// parser asserts on values nested deeply enough (`[[[[…` hundreds deep, found by
/// Tests/Fuzz/Config), and a config file never nests more than two.
enum TableHeaderCheck {
    static let deepest = 32

    /// Line and column (from 1, in Unicode scalars, as the parser counts) of the first
    /// character of the first such header that is not a key's, or of the first value
    /// nested too deep, and what is wrong there; nil if there is none.
    static func firstBadHeader(in text: String) -> (line: Int, column: Int, problem: String)? {
        let scalars = Array(text.unicodeScalars)
        func at(_ index: Int) -> Unicode.Scalar? { index < scalars.count ? scalars[index] : nil }
        // A byte order mark is skipped, and not counted in the first line's columns.
        var index = at(0) == "\u{FEFF}" ? 1 : 0
        var line = 1, lineStart = index
        // `[` and `{` of values still open: a newline inside them starts no statement.
        var depth = 0
        var statementStart = true
        // What each open value is (`[` or `{`), and whether an array waits for a value here:
        // after its `[` or a `,`, a `,` or `}` makes the parser assert instead of
        // refusing (`[[[}`, found by Tests/Fuzz/Config), so it is refused here.
        var open: [Unicode.Scalar] = []
        var valueExpected = false

        func skipBlanks(_ index: inout Int) -> Bool {
            let start = index
            while at(index) == " " || at(index) == "\t" { index += 1 }
            return index > start
        }
        func skipLine(_ index: inout Int) {
            while let scalar = at(index), scalar != "\n" { index += 1 }
        }
        /// Past the string that opens at `index`: basic or literal, on one line or several.
        func skipString(_ index: inout Int) {
            let quote = scalars[index]
            let escapes = quote == "\""
            if at(index + 1) == quote, at(index + 2) == quote {
                index += 3
                while let scalar = at(index) {
                    if escapes, scalar == "\\" {
                        if at(index + 1) == "\n" { line += 1; lineStart = index + 2 }
                        index += 2
                    } else if scalar == quote, at(index + 1) == quote, at(index + 2) == quote {
                        index += 3
                        // A closing delimiter may carry one or two more quotes of the text.
                        for _ in 0..<2 where at(index) == quote { index += 1 }
                        return
                    } else {
                        if scalar == "\n" { line += 1; lineStart = index + 1 }
                        index += 1
                    }
                }
                return
            }
            index += 1
            while let scalar = at(index), scalar != "\n" {
                index += escapes && scalar == "\\" ? 2 : 1
                if scalar == quote { return }
            }
        }

        while let scalar = at(index) {
            switch scalar {
            case "\n":
                line += 1
                lineStart = index + 1
                if depth == 0 { statementStart = true }
                index += 1
            case " ", "\t", "\r":
                index += 1
            case "#":
                skipLine(&index)
            case "[" where statementStart:
                var next = index + 1
                let blank = skipBlanks(&next)
                if at(next) == "[" {
                    // `[ [`: the parser refuses it itself, and reads no further.
                    if blank { return nil }
                    next += 1
                    _ = skipBlanks(&next)
                }
                if let first = at(next), !opensKey(first) { return (line, next - lineStart + 1, "a table header starts with its name") }
                // A header holds keys and a comment, on its one line.
                skipLine(&index)
            case "," where valueExpected, "}" where valueExpected:
                return (line, index - lineStart + 1, "a value is missing before this \"\(scalar)\"")
            case "[", "{":
                depth += 1
                if depth > deepest { return (line, index - lineStart + 1, "values nested more than \(deepest) deep") }
                open.append(scalar)
                valueExpected = scalar == "["
                statementStart = false
                index += 1
            case "]", "}":
                depth = max(0, depth - 1)
                _ = open.popLast()
                valueExpected = false
                statementStart = false
                index += 1
            case ",":
                valueExpected = open.last == "["
                index += 1
            case "\"", "'":
                statementStart = false
                valueExpected = false
                skipString(&index)
            case "0"..."9" where loneDigitAfterDate(scalars, at: index) != nil:
                // `2051-01-31 0` and a tab: toml++ reads ahead for a date-time with a space
                // and asserts on the terminator (found by Tests/Fuzz/Config after 4.9 million inputs).
                let digit = loneDigitAfterDate(scalars, at: index) ?? index
                return (line, digit - lineStart + 1, "a value shaped like a date is followed by a lone digit")
            default:
                statementStart = false
                valueExpected = false
                index += 1
            }
        }
        return nil
    }

    /// Where the lone digit is, when what toml++ may take for a date starts at `index`: a
    /// value of ten characters up to a space, counted as it counts them (without `_`),
    /// beginning with a digit and with a `-` at 4 and 7, followed by the space, one digit
    /// and a character that ends a value. That is invalid TOML whatever the ten characters
    /// are, and toml++ asserts on it whenever its value traits let it look for a date-time
    /// with a space: letters such as `l` add no trait (`115--4--lu 1#` aborted it, found by
    /// Tests/Fuzz/Config after 3.5 million inputs), so the check does not look at them.
    /// Nil otherwise.
    private static func loneDigitAfterDate(_ scalars: [Unicode.Scalar], at index: Int) -> Int? {
        let digits: ClosedRange<Unicode.Scalar> = "0"..."9"
        if index > 0, digits.contains(scalars[index - 1]) { return nil }
        var counted = 0, next = index
        while counted < 10, next < scalars.count {
            let scalar = scalars[next]
            next += 1
            if scalar == "_" { continue }
            if endsValue(scalar) || (counted == 4 || counted == 7) && scalar != "-" { return nil }
            counted += 1
        }
        guard counted == 10, next + 2 < scalars.count, scalars[next] == " ", digits.contains(scalars[next + 1]) else { return nil }
        return endsValue(scalars[next + 2]) ? next + 1 : nil
    }

    /// What ends a value for toml++: whitespace, `]`, `}`, `,` or `#`. Its whitespace also
    /// has U+180E, U+200B, U+2060 and U+FEFF, which Unicode's does not (`30x------- 0` and
    /// a U+FEFF aborted it: found by Tests/Fuzz/Config after 5.6 million inputs).
    private static func endsValue(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace || "]},#\u{180E}\u{200B}\u{2060}\u{FEFF}".unicodeScalars.contains(scalar)
    }

    /// What the parser takes after a header's `[`: a bare key's character (A-Z, a-z,
    /// 0-9, `_`, `-`), a quote, or the `]` of an empty header, which it refuses itself.
    private static func opensKey(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-", "\"", "'", "]": true
        default: false
        }
    }
}
