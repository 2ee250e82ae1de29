import Foundation

/// The HTML the sandbox shows to people: consent, errors, meetings.
///
/// Plain strings with every dynamic value escaped; no template engine needed.
enum SandboxPages {
    static let defaultEmail = "teacher@sandbox.example"

    /// The fields the consent form carries from `GET` to `POST /v1/authorize`.
    struct ConsentRequest {
        var clientID: String
        var redirectURI: String
        var scope: String
        var state: String
        var responseType: String
    }

    static func consent(appName: String, request: ConsentRequest, email: String = defaultEmail, error: String? = nil) -> String {
        let scopes = request.scope.split(separator: " ").map { "<li><code>\(escape(String($0)))</code></li>" }.joined()
        let hidden = [
            ("client_id", request.clientID), ("redirect_uri", request.redirectURI),
            ("scope", request.scope), ("state", request.state), ("response_type", request.responseType),
        ].map { "<input type=\"hidden\" name=\"\($0.0)\" value=\"\(escape($0.1))\">" }.joined(separator: "\n    ")
        let problem = error.map { "<p class=\"error\">\(escape($0))</p>" } ?? ""
        return page(title: "Webex sandbox: authorize \(appName)", body: """
            <h1>\(escape(appName)) wants to schedule meetings for you</h1>
            <p>It asks for:</p>
            <ul>\(scopes)</ul>
            \(problem)
            <form method="post" action="/v1/authorize">
                \(hidden)
                <p><label>Sandbox user (email)
                <input type="text" name="email" value="\(escape(email))" size="32"></label></p>
                <p><button type="submit" name="decision" value="allow">Allow</button>
                <button type="submit" name="decision" value="deny">Deny</button></p>
            </form>
            <p class="note">This is the Webex sandbox: no real Webex account is involved.</p>
            """)
    }

    static func error(_ message: String) -> String {
        page(title: "Webex sandbox: error", body: """
            <h1>Cannot authorize</h1>
            <p class="error">\(escape(message))</p>
            """)
    }

    static func meeting(_ meeting: SandboxMeeting) -> String {
        page(title: "Sandbox meeting \(meeting.title)", body: """
            <h1>Sandbox meeting \(escape(meeting.title))</h1>
            <p>\(escape(meeting.start)) – \(escape(meeting.end)) (\(escape(meeting.timezone)))</p>
            <p>Host: \(escape(meeting.hostDisplayName)) &lt;\(escape(meeting.hostEmail))&gt;</p>
            <p>Meeting number \(escape(meeting.meetingNumber))</p>
            <p class="note">In real Webex, this link would start the meeting.</p>
            """)
    }

    static func index(_ meetings: [SandboxMeeting]) -> String {
        let rows = meetings.map { meeting in
            """
            <tr><td><a href="/meet/\(escape(meeting.id))">\(escape(meeting.title))</a></td>\
            <td>\(escape(meeting.start))</td><td>\(escape(meeting.end))</td>\
            <td>\(escape(meeting.hostEmail))</td><td>\(escape(meeting.integrationTags.joined(separator: ", ")))</td></tr>
            """
        }.joined(separator: "\n")
        let table = meetings.isEmpty
            ? "<p>No meetings yet.</p>"
            : "<table><tr><th>Title</th><th>Start</th><th>End</th><th>Host</th><th>Integration tags</th></tr>\n\(rows)</table>"
        return page(title: "Webex sandbox", body: """
            <h1>Webex sandbox</h1>
            <h2>Meetings (\(meetings.count))</h2>
            \(table)
            <p class="note">JSON: <a href="/sandbox/meetings">/sandbox/meetings</a>,
            <a href="/sandbox/requests">/sandbox/requests</a></p>
            """)
    }

    static func notFound() -> String {
        page(title: "Webex sandbox: not found", body: "<h1>No such meeting</h1>")
    }

    private static func page(title: String, body: String) -> String {
        """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(escape(title))</title>
        <style>
        body { font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto; padding: 0 1rem; color: #222; }
        .error { color: #b00020; } .note { color: #666; font-size: 0.9em; }
        table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 0.3rem 0.6rem; text-align: left; }
        button { font-size: 1rem; padding: 0.4rem 1.2rem; margin-right: 0.5rem; }
        </style></head>
        <body>
        \(body)
        </body></html>
        """
    }

    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.append(character)
            }
        }
        return escaped
    }
}
