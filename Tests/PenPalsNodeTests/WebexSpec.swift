import Foundation
import WebexSandbox

/// WebEx's own description of `/meetings` (`../shared/webex/webex-meetings-subset.openapi.json`,
/// a subset of Cisco's public OpenAPI spec), used to check every request a node sent to the sandbox.
///
/// It checks what a node could get wrong: the operation exists; query parameters
/// are ones the spec lists; path parameters are present; a JSON body has the
/// required fields, the right types (recursively, enums included) and no field
/// the schema does not name.
struct WebexSpec: @unchecked Sendable {
    let root: [String: Any]

    /// The spec beside the repository: `<repo>/../shared/webex/…` (CI puts `shared/` beside the clone),
    /// or the file named by `PENPALS_WEBEX_SPEC`.
    static func load() throws -> WebexSpec {
        let file: URL
        if let path = ProcessInfo.processInfo.environment["PENPALS_WEBEX_SPEC"] {
            file = URL(fileURLWithPath: path)
        } else {
            let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            file = repo.deletingLastPathComponent().appendingPathComponent("shared/webex/webex-meetings-subset.openapi.json")
        }
        guard let data = FileManager.default.contents(atPath: file.path),
              let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw TestFailure("cannot read the WebEx OpenAPI spec at \(file.path)")
        }
        return WebexSpec(root: root)
    }

    static let shared: Result<WebexSpec, any Error> = Result { try load() }

    /// Every problem of every logged request to `/v1/meetings…`; empty when all conform.
    static func violations(in log: [SandboxRequest]) throws -> [String] {
        let spec = try shared.get()
        return log.filter { $0.path.hasPrefix("/v1/meetings") }.flatMap { request in
            spec.violations(of: request).map { "\(request.method) \(request.path)?\(request.query ?? ""): \($0)" }
        }
    }

    func violations(of request: SandboxRequest) -> [String] {
        let path = String(request.path.dropFirst("/v1".count))
        guard let (template, operation, pathValues) = self.operation(method: request.method, path: path) else {
            return ["no such operation in the spec"]
        }
        var problems: [String] = []
        let parameters = (operation["parameters"] as? [Any] ?? []).compactMap { resolve($0) }
        for parameter in parameters where parameter["in"] as? String == "path" {
            let name = parameter["name"] as? String ?? ""
            if (pathValues[name] ?? "").isEmpty { problems.append("path parameter \(name) of \(template) is empty") }
        }
        let queryNames = Set(parameters.filter { $0["in"] as? String == "query" }.compactMap { $0["name"] as? String })
        for item in URLComponents(string: "?" + (request.query ?? ""))?.queryItems ?? [] where !queryNames.contains(item.name) {
            problems.append("query parameter \(item.name) is not in the spec")
        }
        for parameter in parameters where parameter["in"] as? String == "query" && parameter["required"] as? Bool == true {
            let name = parameter["name"] as? String ?? ""
            if request.queryValue(name) == nil { problems.append("required query parameter \(name) is missing") }
        }
        if let body = operation["requestBody"] as? [String: Any],
           let schema = ((body["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] {
            if !(request.headers["content-type"] ?? "").hasPrefix("application/json") {
                problems.append("Content-Type is \(request.headers["content-type"] ?? "missing"), not application/json")
            }
            guard let value = try? JSONSerialization.jsonObject(with: Data(request.body.utf8), options: [.fragmentsAllowed]) else {
                return problems + ["the body is not JSON"]
            }
            problems += check(value, against: schema, at: "body")
        } else if !request.body.isEmpty, request.method != "GET" {
            problems.append("a body where the spec has none")
        }
        return problems
    }

    /// The operation of `method` on the spec path matching `path`, with its path parameter values.
    private func operation(method: String, path: String) -> (String, [String: Any], [String: String])? {
        guard let paths = root["paths"] as? [String: Any] else { return nil }
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        for (template, item) in paths {
            let pattern = template.split(separator: "/", omittingEmptySubsequences: true)
            guard pattern.count == parts.count else { continue }
            var values: [String: String] = [:]
            let matches = zip(pattern, parts).allSatisfy { expected, actual in
                if expected.hasPrefix("{"), expected.hasSuffix("}") {
                    values[String(expected.dropFirst().dropLast())] = String(actual)
                    return true
                }
                return expected == actual
            }
            if matches, let operation = (item as? [String: Any])?[method.lowercased()] as? [String: Any] {
                return (template, operation, values)
            }
        }
        return nil
    }

    /// Follows a local `$ref` (`#/components/…`).
    private func resolve(_ node: Any) -> [String: Any]? {
        guard let object = node as? [String: Any] else { return nil }
        guard let ref = object["$ref"] as? String, ref.hasPrefix("#/") else { return object }
        var current: Any = root
        for key in ref.dropFirst(2).split(separator: "/") {
            guard let next = (current as? [String: Any])?[String(key)] else { return nil }
            current = next
        }
        return resolve(current)
    }

    private func check(_ value: Any, against schemaNode: Any, at where_: String) -> [String] {
        guard let schema = resolve(schemaNode) else { return ["\(where_): unresolvable schema"] }
        var problems: [String] = []
        if let choices = schema["enum"] as? [Any], let text = value as? String,
           !choices.contains(where: { ($0 as? String) == text }) {
            problems.append("\(where_): \"\(text)\" is not one of \(choices)")
        }
        let type = schema["type"] as? String ?? (schema["properties"] != nil ? "object" : nil)
        switch type {
        case "string":
            if !(value is String) { problems.append("\(where_) must be a string") }
        case "boolean":
            if !isBool(value) { problems.append("\(where_) must be a boolean") }
        case "number", "integer":
            if !(value is NSNumber) || isBool(value) { problems.append("\(where_) must be a number") }
        case "array":
            guard let items = value as? [Any] else { return problems + ["\(where_) must be an array"] }
            if let itemSchema = schema["items"] {
                for (index, item) in items.enumerated() { problems += check(item, against: itemSchema, at: "\(where_)[\(index)]") }
            }
        case "object":
            guard let object = value as? [String: Any] else { return problems + ["\(where_) must be an object"] }
            let properties = schema["properties"] as? [String: Any] ?? [:]
            for name in schema["required"] as? [String] ?? [] where object[name] == nil {
                problems.append("\(where_).\(name) is required")
            }
            for (name, field) in object.sorted(by: { $0.key < $1.key }) {
                if let fieldSchema = properties[name] {
                    problems += check(field, against: fieldSchema, at: "\(where_).\(name)")
                } else if !properties.isEmpty {
                    problems.append("\(where_).\(name) is not a field of the schema")
                }
            }
        default:
            break
        }
        return problems
    }

    /// JSON `true`/`false` (Foundation reads them as NSNumbers of type "c").
    private func isBool(_ value: Any) -> Bool {
        guard let number = value as? NSNumber else { return false }
        return String(cString: number.objCType) == "c"
    }
}

import Testing

/// The validator itself refuses what WebEx's spec does not allow.
@Suite("WebEx OpenAPI validator")
struct WebexSpecTests {
    func request(_ method: String, _ path: String, query: String? = nil, body: String = "") -> SandboxRequest {
        // SandboxRequest has no public memberwise initializer: build it as the sandbox's log serves it.
        var object: [String: Any] = ["time": 0, "method": method, "path": path, "body": body, "status": 200,
                                     "headers": body.isEmpty ? [:] : ["content-type": "application/json"]]
        object["query"] = query
        return try! JSONDecoder().decode(SandboxRequest.self, from: HTTP.json(object))
    }

    @Test func acceptsWhatTheNodeSends() throws {
        let good = [
            request("POST", "/v1/meetings", body: #"{"title":"T","start":"2027-03-14T01:30:00-06:00","end":"2027-03-14T03:30:00-05:00","timezone":"America/Chicago","integrationTags":["penpals-x"]}"#),
            request("GET", "/v1/meetings", query: "integrationTag=penpals-x&from=2027-03-13T07:30:00Z&to=2027-03-15T08:30:00Z"),
            request("DELETE", "/v1/meetings/abc123"),
        ]
        #expect(try WebexSpec.violations(in: good).isEmpty)
    }

    @Test func refusesMissingRequiredUnknownAndMistypedFields() throws {
        let bad = request("POST", "/v1/meetings", body: #"{"start":"2027-03-14T01:30:00Z","end":7,"colour":"blue","integrationTags":"penpals-x"}"#)
        let problems = try WebexSpec.violations(in: [bad]).joined(separator: "\n")
        #expect(problems.contains("body.title is required"))
        #expect(problems.contains("body.end must be a string"))
        #expect(problems.contains("body.colour is not a field of the schema"))
        #expect(problems.contains("body.integrationTags must be an array"))
    }

    @Test func refusesUnknownQueryParametersAndOperations() throws {
        let problems = try WebexSpec.violations(in: [
            request("GET", "/v1/meetings", query: "tag=penpals-x"),
            request("POST", "/v1/meetings/abc/extra"),
        ]).joined(separator: "\n")
        #expect(problems.contains("query parameter tag is not in the spec"))
        #expect(problems.contains("no such operation"))
    }
}
