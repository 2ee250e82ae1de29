import Foundation

/// A problem with the config file or with this machine, found before anything is
/// created or started. Its `description` is the single line the command line prints
/// on stderr (then it exits with status 2):
///
///     error: nodes.toml: nodes[1].listen: "127.0.0.1:99999" is not a valid address. Use host:port with a port from 1 to 65535, e.g. "127.0.0.1:7412".
public struct ConfigError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The config file as the user named it (for example `nodes.toml`).
    public var file: String
    /// Where in the file: a key path such as `nodes[0].name`, `peers[2].public_key`,
    /// `webex.client_id`, `line 3, column 7` for a syntax error, `--node` for a bad
    /// `--node` choice, or empty when the problem is the file as a whole.
    public var key: String
    /// What is wrong, as a sentence without its final period.
    public var problem: String
    /// What to do about it, as one or more sentences.
    public var fix: String

    public init(file: String, key: String, problem: String, fix: String) {
        self.file = file
        self.key = key
        self.problem = problem
        self.fix = fix
    }

    /// One line: `error: <file>: <key>: <problem>. <fix>` (the key part is left out when empty).
    public var description: String {
        var line = "error: " + Self.oneLine(file)
        let key = Self.oneLine(key)
        if !key.isEmpty { line += ": " + key }
        var problem = Self.oneLine(problem)
        while problem.hasSuffix(".") { problem.removeLast() }
        line += ": " + problem + "."
        var fix = Self.oneLine(fix)
        if !fix.isEmpty {
            if let last = fix.last, !".!?".contains(last) { fix += "." }
            line += " " + fix
        }
        return line
    }

    static func oneLine(_ text: String) -> String {
        var out = ""
        var lastWasSpace = false
        for ch in text {
            if ch.isNewline {
                if !lastWasSpace { out.append(" ") }
                lastWasSpace = true
            } else {
                out.append(ch)
                lastWasSpace = ch == " "
            }
        }
        return out.trimmingCharacters(in: .whitespaces)
    }
}

/// A value quoted for a message: `"like this"`, with control characters escaped so the
/// message stays on one line.
func quoted(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7f || (0x2028...0x2029).contains(scalar.value) || scalar.value == 0x85 {
                out += String(format: "\\u%04X", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}
