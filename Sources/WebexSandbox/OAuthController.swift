import Foundation
import Hummingbird

/// `/v1/authorize` (consent page) and `/v1/access_token` (code and refresh grants).
struct OAuthController: Sendable {
    let state: SandboxState

    func addRoutes(to router: Router<SandboxRequestContext>) {
        router.get("/v1/authorize", use: showConsent)
        router.post("/v1/authorize", use: decide)
        router.post("/v1/access_token", use: issueTokens)
    }

    /// `GET /v1/authorize`: the consent page, or a 400 page when nothing can be redirected to.
    @Sendable func showConsent(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let consent = consentRequest(FormData(request.uri.query ?? ""))
        if let problem = pageProblem(consent) {
            return .html(SandboxPages.error(problem), status: .badRequest)
        }
        if let error = redirectProblem(consent) {
            return redirect(consent, [("error", error)])
        }
        return .html(SandboxPages.consent(appName: state.configuration.appName, request: consent))
    }

    /// `POST /v1/authorize`: Allow redirects with a code, Deny with `error=access_denied`.
    @Sendable func decide(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        let form = FormData(String(buffer: try await request.body.collect(upTo: 64 * 1024)))
        let consent = consentRequest(form)
        if let problem = pageProblem(consent) {
            return .html(SandboxPages.error(problem), status: .badRequest)
        }
        if let error = redirectProblem(consent) {
            return redirect(consent, [("error", error)])
        }
        guard form.first("decision") == "allow" else {
            return redirect(consent, [("error", "access_denied")])
        }
        let email = (form.first("email") ?? "").trimmingCharacters(in: .whitespaces)
        guard Self.looksLikeEmail(email) else {
            let page = SandboxPages.consent(
                appName: state.configuration.appName, request: consent, email: email,
                error: "Enter the sandbox user's email address, e.g. \(SandboxPages.defaultEmail)."
            )
            return .html(page, status: .badRequest)
        }
        let user = SandboxState.User(email: email, displayName: Self.displayName(for: email))
        let code = await state.issueCode(
            clientID: consent.clientID, redirectURI: consent.redirectURI, scope: consent.scope, user: user, now: Date()
        )
        return redirect(consent, [("code", code)])
    }

    /// `POST /v1/access_token`: form-encoded only, as WebEx.
    @Sendable func issueTokens(_ request: Request, context: SandboxRequestContext) async throws -> Response {
        do {
            let contentType = request.headers[.contentType] ?? ""
            guard contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") else {
                throw SandboxFailure.oauth(
                    .badRequest, "invalid_request", "The body must be application/x-www-form-urlencoded."
                )
            }
            let form = FormData(String(buffer: try await request.body.collect(upTo: 64 * 1024)))
            let grantType = form.first("grant_type")
            guard grantType == "authorization_code" || grantType == "refresh_token" else {
                throw SandboxFailure.oauth(
                    .badRequest, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token."
                )
            }
            try await state.authenticateClient(id: form.first("client_id"), secret: form.first("client_secret"))
            let clientID = form.first("client_id") ?? ""
            let answer = if grantType == "authorization_code" {
                try await state.exchange(
                    code: form.first("code"), clientID: clientID, redirectURI: form.first("redirect_uri"), now: Date()
                )
            } else {
                try await state.refresh(refreshToken: form.first("refresh_token"), clientID: clientID, now: Date())
            }
            var response = Response.json(answer)
            response.headers[.cacheControl] = "no-store"
            return response
        } catch let failure as SandboxFailure {
            return .failure(failure, trackingID: context.trackingID)
        }
    }

    // MARK: - Helpers

    private func consentRequest(_ form: FormData) -> SandboxPages.ConsentRequest {
        SandboxPages.ConsentRequest(
            clientID: form.first("client_id") ?? "",
            redirectURI: form.first("redirect_uri") ?? "",
            scope: form.first("scope") ?? "",
            state: form.first("state") ?? "",
            responseType: form.first("response_type") ?? ""
        )
    }

    /// Problems that make a redirect impossible or unsafe: answered with a page.
    private func pageProblem(_ consent: SandboxPages.ConsentRequest) -> String? {
        guard consent.clientID == state.configuration.clientID else {
            return "Unknown client_id '\(consent.clientID)'."
        }
        guard let url = URL(string: consent.redirectURI), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
              url.host != nil
        else {
            return "redirect_uri is missing or is not an http(s) URL."
        }
        return nil
    }

    /// Problems the client is told about through the redirect, as OAuth wants.
    private func redirectProblem(_ consent: SandboxPages.ConsentRequest) -> String? {
        guard consent.responseType == "code" else { return "unsupported_response_type" }
        let scopes = consent.scope.split(separator: " ").map(String.init)
        guard !scopes.isEmpty, scopes.allSatisfy(SandboxConfiguration.knownScopes.contains) else {
            return "invalid_scope"
        }
        return nil
    }

    private func redirect(_ consent: SandboxPages.ConsentRequest, _ parameters: [(String, String)]) -> Response {
        var query = parameters
        if !consent.state.isEmpty { query.append(("state", consent.state)) }
        let separator = consent.redirectURI.contains("?") ? "&" : "?"
        return .redirect(to: consent.redirectURI + separator + FormData.encode(query))
    }

    static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        return parts.count == 2 && !parts[0].isEmpty && parts[1].contains(".") && text.count <= 254
            && !text.contains(where: \.isWhitespace)
    }

    /// "ms.garcia@school.example" → "Ms Garcia".
    static func displayName(for email: String) -> String {
        let local = email.split(separator: "@").first.map(String.init) ?? email
        return local.split(whereSeparator: { ".-_+".contains($0) })
            .map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined(separator: " ")
    }
}
