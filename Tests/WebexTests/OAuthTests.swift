import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import Webex
import WebexSandbox

@Suite("OAuth against the sandbox")
struct OAuthTests {
    @Test func authorizeURLCarriesClientRedirectScopeAndState() throws {
        let client = WebexClient(settings: WebexSettings(
            apiBase: URL(string: "https://webexapis.com/v1")!,
            authorizeURL: URL(string: "https://webexapis.com/v1/authorize")!,
            clientID: "C123",
            clientSecret: "secret"
        ))
        let url = client.authorizeURL(redirectURI: "http://127.0.0.1:7100/webex/callback", state: "a b&c")
        let string = url.absoluteString
        #expect(string.hasPrefix("https://webexapis.com/v1/authorize?response_type=code&client_id=C123&"))
        #expect(string.contains("scope=meeting:schedules_read%20meeting:schedules_write"))
        let items = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems)
        #expect(items.first { $0.name == "redirect_uri" }?.value == "http://127.0.0.1:7100/webex/callback")
        #expect(items.first { $0.name == "state" }?.value == "a b&c")
        #expect(!string.contains("secret"))
    }

    @Test func consentThenCodeExchangeGivesTokens() async throws {
        try await SandboxServer.with { server in
            let code = try await server.consent()
            let before = Date()
            let tokens = try await server.client().exchangeCode(code, redirectURI: SandboxServer.redirectURI)
            #expect(!tokens.accessToken.isEmpty)
            #expect(!tokens.refreshToken.isEmpty)
            #expect(abs(tokens.expiresAt.timeIntervalSince(before) - 1_209_600) < 60)
            let refreshExpiry = try #require(tokens.refreshExpiresAt)
            #expect(abs(refreshExpiry.timeIntervalSince(before) - 7_776_000) < 60)
            #expect(tokens.scope == "meeting:schedules_read meeting:schedules_write")

            let exchange = try #require(await server.sandbox.requestLog().last { $0.path == "/v1/access_token" })
            #expect(exchange.headers["content-type"] == "application/x-www-form-urlencoded")
            #expect(exchange.formValue("grant_type") == "authorization_code")
            #expect(exchange.formValue("client_secret") == "sandbox-secret")
            #expect(exchange.formValue("redirect_uri") == SandboxServer.redirectURI)
        }
    }

    @Test func aCodeWorksOnlyOnce() async throws {
        try await SandboxServer.with { server in
            let code = try await server.consent()
            _ = try await server.client().exchangeCode(code, redirectURI: SandboxServer.redirectURI)
            do {
                _ = try await server.client().exchangeCode(code, redirectURI: SandboxServer.redirectURI)
                Issue.record("a used code was accepted")
            } catch WebexError.invalidGrant {
            }
        }
    }

    @Test func aCodeIsBoundToItsRedirectURI() async throws {
        try await SandboxServer.with { server in
            let code = try await server.consent()
            do {
                _ = try await server.client().exchangeCode(code, redirectURI: "http://127.0.0.1:9/other")
                Issue.record("a code was accepted for another redirect_uri")
            } catch WebexError.invalidGrant {
            }
        }
    }

    @Test func wrongClientSecretIsUnauthorized() async throws {
        try await SandboxServer.with { server in
            let code = try await server.consent()
            var settings = server.settings
            settings.clientSecret = "wrong"
            do {
                _ = try await WebexClient(settings: settings).exchangeCode(code, redirectURI: SandboxServer.redirectURI)
                Issue.record("a wrong client secret was accepted")
            } catch WebexError.unauthorized {
            }
        }
    }

    @Test func tokenEndpointRefusesJSON() async throws {
        try await SandboxServer.with { server in
            let code = try await server.consent()
            let json = """
                {"grant_type":"authorization_code","client_id":"sandbox-client","client_secret":"sandbox-secret",\
                "code":"\(code)","redirect_uri":"\(SandboxServer.redirectURI)"}
                """
            let (body, response) = try await HTTP.send("POST", server.base + "/v1/access_token", json: json)
            #expect(response.statusCode == 400)
            #expect(body.contains("\"trackingId\""))
            #expect(response.value(forHTTPHeaderField: "trackingid") != nil)
            // The refused request did not use the code up.
            _ = try await server.client().exchangeCode(code, redirectURI: SandboxServer.redirectURI)
        }
    }

    @Test func denyRedirectsWithAccessDenied() async throws {
        try await SandboxServer.with { server in
            let (_, response) = try await HTTP.send("POST", server.base + "/v1/authorize", form: [
                ("response_type", "code"), ("client_id", "sandbox-client"), ("redirect_uri", SandboxServer.redirectURI),
                ("scope", "meeting:schedules_read meeting:schedules_write"), ("state", "xyz"), ("decision", "deny"),
            ])
            #expect(response.statusCode == 302)
            #expect(response.value(forHTTPHeaderField: "Location") == SandboxServer.redirectURI + "?error=access_denied&state=xyz")
        }
    }

    @Test func unknownClientOrMissingRedirectGetsAnErrorPage() async throws {
        try await SandboxServer.with { server in
            let (page, unknown) = try await HTTP.send(
                "GET", server.base + "/v1/authorize?response_type=code&client_id=nope&redirect_uri=http://x.example/cb&scope=meeting:schedules_read"
            )
            #expect(unknown.statusCode == 400)
            #expect(page.contains("client_id"))
            let (_, missing) = try await HTTP.send(
                "GET", server.base + "/v1/authorize?response_type=code&client_id=sandbox-client&scope=meeting:schedules_read"
            )
            #expect(missing.statusCode == 400)
        }
    }

    @Test func unknownScopeRedirectsWithInvalidScope() async throws {
        try await SandboxServer.with { server in
            let (_, response) = try await HTTP.send(
                "GET", server.base + "/v1/authorize?response_type=code&client_id=sandbox-client&redirect_uri=http://x.example/cb&scope=admin:everything&state=q"
            )
            #expect(response.statusCode == 302)
            #expect(response.value(forHTTPHeaderField: "Location") == "http://x.example/cb?error=invalid_scope&state=q")
        }
    }

    @Test func consentPageCarriesTheRequestIntoItsForm() async throws {
        try await SandboxServer.with { server in
            let url = server.client().authorizeURL(redirectURI: SandboxServer.redirectURI, state: "st<>\"")
            let (page, response) = try await HTTP.send("GET", url.absoluteString)
            #expect(response.statusCode == 200)
            #expect(response.value(forHTTPHeaderField: "trackingid") == nil)
            #expect(page.contains("PenPals wants to schedule meetings for you"))
            #expect(page.contains("action=\"/v1/authorize\""))
            #expect(page.contains("name=\"state\" value=\"st&lt;&gt;&quot;\""))
            #expect(page.contains("name=\"email\" value=\"teacher@sandbox.example\""))
            #expect(page.contains("name=\"decision\" value=\"allow\""))
        }
    }

    @Test func refreshGivesANewWorkingAccessToken() async throws {
        try await SandboxServer.with { server in
            let tokens = try await server.connect()
            let renewed = try await server.client().refresh(refreshToken: tokens.refreshToken)
            #expect(renewed.accessToken != tokens.accessToken)
            #expect(renewed.refreshToken == tokens.refreshToken)
            _ = try await server.client().meetings(
                integrationTag: "x", from: Date(), to: Date().addingTimeInterval(3600), accessToken: renewed.accessToken
            )
            do {
                _ = try await server.client().refresh(refreshToken: "not-a-refresh-token")
                Issue.record("an unknown refresh token was accepted")
            } catch WebexError.invalidGrant {
            }
        }
    }
}
