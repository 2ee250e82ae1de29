import Foundation
import Synchronization

/// A chromedriver process on a loopback port, driven over WebDriver's HTTP
/// protocol (W3C), and the headless Chromium sessions it opens.
final class WebDriver: Sendable {
    static let driverPath = "/usr/bin/chromedriver"
    static let browserPath = "/usr/bin/chromium"

    let port: Int
    private let process: Process

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    /// Starts chromedriver and waits until it is ready; the caller stops it with `stop()`.
    static func start() async throws -> WebDriver {
        guard FileManager.default.isExecutableFile(atPath: driverPath), FileManager.default.isExecutableFile(atPath: browserPath) else {
            throw TestFailure("the browser tests need Debian's chromium and chromium-driver (\(driverPath)); scripts/setup installs them")
        }
        let port = try freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: driverPath)
        process.arguments = ["--port=\(port)", "--allowed-ips=127.0.0.1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let driver = WebDriver(port: port, process: process)
        let lastError = Mutex<String>("no answer yet")
        do {
            try await eventually("chromedriver is ready", timeout: .seconds(20)) {
                do {
                    let status = try await driver.call("GET", "/status") as? [String: Any]
                    return (status?["ready"] as? Bool) == true
                } catch {
                    lastError.withLock { $0 = "\(error)" }
                    return false
                }
            }
        } catch {
            await driver.stop()
            throw TestFailure("\(error); chromedriver's last answer: \(lastError.withLock { $0 })")
        }
        return driver
    }

    /// Stops chromedriver (by its process id) and the browsers it started.
    func stop() async {
        guard process.isRunning else { return }
        _ = try? await call("GET", "/shutdown", timeout: .seconds(5))
        let asked = Date().addingTimeInterval(5)
        while process.isRunning && Date() < asked { try? await Task.sleep(for: .milliseconds(20)) }
        guard process.isRunning else { return process.waitUntilExit() }
        // Signals may be blocked in a process spawned from a Swift thread; SIGKILL is not.
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(5)
        while process.isRunning && Date() < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    /// A new headless browser with its own profile (so its own cookies).
    func newBrowser(width: Int = 1280, height: Int = 900) async throws -> Browser {
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "browserName": "chrome",
                    "goog:chromeOptions": [
                        "binary": Self.browserPath,
                        "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                 "--window-size=\(width),\(height)", "--lang=en-GB", "--no-first-run",
                                 "--disable-extensions", "--disable-background-networking"],
                    ],
                ],
            ],
        ]
        let value = try await call("POST", "/session", capabilities, timeout: .seconds(60))
        guard let id = (value as? [String: Any])?["sessionId"] as? String else {
            throw TestFailure("chromedriver started no session: \(String(describing: value))")
        }
        return Browser(driver: self, session: id)
    }

    /// One WebDriver command; returns its `value` or throws its error. (chromedriver writes
    /// `Name:value` headers, which URLSession on Linux refuses, so this speaks HTTP itself.)
    @discardableResult
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil, timeout: Duration = .seconds(30)) async throws -> Any? {
        let json = method == "POST" ? String(decoding: try JSONSerialization.data(withJSONObject: body ?? [:]), as: UTF8.self) : nil
        let answer = try await RawAnswer.send(port: port, method, path, json: json, timeout: timeout)
        let object = try? JSONSerialization.jsonObject(with: Data(answer.body.utf8), options: [.fragmentsAllowed]) as? [String: Any]
        let value = object?["value"]
        if answer.status >= 400 || answer.status == 0 {
            let error = value as? [String: Any]
            throw TestFailure("WebDriver \(method) \(path): \(error?["error"] ?? answer.status): \(error?["message"] ?? answer.body)")
        }
        return value is NSNull ? nil : value
    }
}

/// One browser session: open pages, find elements by CSS, click, type, read, run scripts, take screenshots.
struct Browser: Sendable {
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    let driver: WebDriver
    let session: String

    @discardableResult
    private func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Any? {
        try await driver.call(method, "/session/\(session)\(path)", body)
    }

    func open(_ url: String) async throws { try await call("POST", "/url", ["url": url]) }

    var url: String { get async throws { try await call("GET", "/url") as? String ?? "" } }

    func find(_ css: String) async throws -> String {
        let value = try await call("POST", "/element", ["using": "css selector", "value": css])
        guard let id = (value as? [String: Any])?[Self.elementKey] as? String else { throw TestFailure("no element \(css)") }
        return id
    }

    /// Runs `body` on the element `css` finds; the page re-renders its lists on every
    /// pushed change, so an element that went stale in between is found again.
    private func onElement<T>(_ css: String, _ body: (String) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await body(try await find(css))
            } catch where attempt < 5 && "\(error)".contains("stale element") {
                attempt += 1
            }
        }
    }

    func click(_ css: String) async throws {
        try await onElement(css) { id in _ = try await call("POST", "/element/\(id)/click") }
    }

    /// Types into the element as a user would (WebDriver key codes such as "\u{E007}" for Enter work too).
    func type(_ css: String, _ text: String) async throws {
        try await onElement(css) { id in _ = try await call("POST", "/element/\(id)/value", ["text": text]) }
    }

    func clear(_ css: String) async throws {
        try await onElement(css) { id in _ = try await call("POST", "/element/\(id)/clear") }
    }

    /// The element's rendered text.
    func text(_ css: String) async throws -> String {
        try await onElement(css) { id in try await call("GET", "/element/\(id)/text") as? String ?? "" }
    }

    func attribute(_ css: String, _ name: String) async throws -> String? {
        try await onElement(css) { id in try await call("GET", "/element/\(id)/attribute/\(name)") as? String }
    }

    func isEnabled(_ css: String) async throws -> Bool {
        try await onElement(css) { id in try await call("GET", "/element/\(id)/enabled") as? Bool ?? false }
    }

    /// Runs `script` (a function body; `arguments[0]`… are `args`) and returns its result.
    @discardableResult
    func script(_ script: String, _ args: [Any] = []) async throws -> Any? {
        try await call("POST", "/execute/sync", ["script": script, "args": args])
    }

    /// Presses keys on whatever has the focus.
    func press(_ keys: String) async throws {
        let actions = keys.unicodeScalars.flatMap { key in
            [["type": "keyDown", "value": String(key)], ["type": "keyUp", "value": String(key)]]
        }
        try await call("POST", "/actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
        try await call("DELETE", "/actions")
    }

    func resize(width: Int, height: Int) async throws {
        try await call("POST", "/window/rect", ["width": width, "height": height])
    }

    func screenshot() async throws -> Data {
        guard let text = try await call("GET", "/screenshot") as? String, let data = Data(base64Encoded: text) else {
            throw TestFailure("no screenshot")
        }
        return data
    }

    /// Polls the JavaScript expression `condition` until it is true; fails after `timeout`
    /// with `what` and, to help, the text of the page.
    func waitUntil(_ what: String, timeout: Duration = .seconds(10), _ condition: String, _ args: [Any] = []) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await script("return !!(\(condition));", args) as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        if try await script("return !!(\(condition));", args) as? Bool == true { return }
        let page = try? await script("return document.body.innerText;") as? String
        throw TestFailure("timed out waiting until \(what); the page shows:\n\(page ?? "?")")
    }

    func quit() async {
        _ = try? await driver.call("DELETE", "/session/\(session)")
    }
}

enum Key {
    static let enter = "\u{E007}"
    static let escape = "\u{E00C}"
    static let tab = "\u{E004}"
    static let arrowRight = "\u{E014}"
    static let arrowLeft = "\u{E012}"
}
