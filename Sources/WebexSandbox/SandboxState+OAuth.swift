import Foundation

/// OAuth 2 authorization-code and refresh-token grants, as WebEx runs them.
extension SandboxState {
    /// What `POST /v1/access_token` answers.
    struct TokenAnswer: Encodable {
        var accessToken: String
        var expiresIn: Int
        var refreshToken: String
        var refreshTokenExpiresIn: Int
        var tokenType = "Bearer"
        var scope: String

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
            case expiresIn = "expires_in"
            case refreshToken = "refresh_token"
            case refreshTokenExpiresIn = "refresh_token_expires_in"
            case tokenType = "token_type"
            case scope
        }
    }

    /// A single-use code for the consent the user just gave.
    func issueCode(clientID: String, redirectURI: String, scope: String, user: User, now: Date) -> String {
        let code = Self.randomHex(bytes: 24)
        codes[code] = AuthorizationCode(
            clientID: clientID,
            redirectURI: redirectURI,
            scope: scope,
            user: user,
            expiresAt: now.addingTimeInterval(configuration.codeLifetime)
        )
        return code
    }

    /// Checks the client's credentials: 401 `invalid_client` when they are wrong.
    func authenticateClient(id: String?, secret: String?) throws(SandboxFailure) {
        guard let id, let secret else {
            throw .oauth(.badRequest, "invalid_request", "client_id and client_secret are required.")
        }
        guard id == configuration.clientID, secret == configuration.clientSecret else {
            throw .oauth(.unauthorized, "invalid_client", "The client credentials are not valid.")
        }
    }

    /// `grant_type=authorization_code`: a code is good once, for its client and redirect URI.
    func exchange(code: String?, clientID: String, redirectURI: String?, now: Date) throws(SandboxFailure) -> TokenAnswer {
        guard let code, let redirectURI else {
            throw .oauth(.badRequest, "invalid_request", "code and redirect_uri are required.")
        }
        guard var grant = codes[code], !grant.used, grant.expiresAt > now,
              grant.clientID == clientID, grant.redirectURI == redirectURI
        else {
            throw .oauth(.badRequest, "invalid_grant", "The authorization code is invalid, expired, already used or was issued for another client or redirect_uri.")
        }
        grant.used = true
        codes[code] = grant
        let refreshToken = Self.randomHex(bytes: 32)
        let refreshGrant = Grant(
            clientID: clientID,
            scope: grant.scope,
            user: grant.user,
            expiresAt: now.addingTimeInterval(configuration.refreshTokenLifetime)
        )
        refreshTokens[refreshToken] = refreshGrant
        return issueAccessToken(for: refreshGrant, refreshToken: refreshToken, now: now)
    }

    /// `grant_type=refresh_token`: a new access token; the refresh token stays the same, as with WebEx.
    func refresh(refreshToken: String?, clientID: String, now: Date) throws(SandboxFailure) -> TokenAnswer {
        guard let refreshToken else {
            throw .oauth(.badRequest, "invalid_request", "refresh_token is required.")
        }
        guard let grant = refreshTokens[refreshToken], grant.expiresAt > now, grant.clientID == clientID else {
            throw .oauth(.badRequest, "invalid_grant", "The refresh token provided is expired, revoked, malformed, or invalid.")
        }
        return issueAccessToken(for: grant, refreshToken: refreshToken, now: now)
    }

    private func issueAccessToken(for grant: Grant, refreshToken: String, now: Date) -> TokenAnswer {
        let accessToken = Self.randomHex(bytes: 32)
        accessTokens[accessToken] = Grant(
            clientID: grant.clientID,
            scope: grant.scope,
            user: grant.user,
            expiresAt: now.addingTimeInterval(configuration.accessTokenLifetime)
        )
        return TokenAnswer(
            accessToken: accessToken,
            expiresIn: Int(configuration.accessTokenLifetime),
            refreshToken: refreshToken,
            refreshTokenExpiresIn: max(0, Int(grant.expiresAt.timeIntervalSince(now))),
            scope: grant.scope
        )
    }

    /// The user behind an `Authorization: Bearer …` header; 401 when it is missing, unknown or expired.
    func authenticate(authorization: String?, now: Date) throws(SandboxFailure) -> (user: User, token: String) {
        guard let authorization else { throw .missingToken }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw .missingToken }
        let token = parts[1].trimmingCharacters(in: .whitespaces)
        guard let grant = accessTokens[token], grant.expiresAt > now else { throw .missingToken }
        return (grant.user, token)
    }
}
