import Foundation
import Hummingbird

/// `/`: signs the browser in with `?token=` (as an HttpOnly, SameSite=Strict
/// session cookie, then a redirect that drops the token from the address bar)
/// and shows the classroom's page.
struct HomeRoutes {
    let node: ClassroomNode

    func register(on router: Router<BasicRequestContext>) {
        router.get("/") { request, _ in
            let token = node.settings.apiToken
            if request.uri.queryParameters.get("token") != nil {
                guard TokenAuthMiddleware<BasicRequestContext>.isAuthorised(request, token: token, allowQuery: true) else {
                    return page(title: "Sign-in failed", message: "This sign-in link is not valid for this classroom. Use the link printed by `penpals serve`.", status: .unauthorized)
                }
                var response = Response(status: .found, headers: [.location: "/"])
                response.setCookie(Cookie(name: "penpals_session", value: TokenAuthMiddleware<BasicRequestContext>.sessionValue(for: token),
                                          path: "/", httpOnly: true, sameSite: .strict))
                return response
            }
            guard TokenAuthMiddleware<BasicRequestContext>.isAuthorised(request, token: token) else {
                return page(title: "PenPals", message: "Open the sign-in link printed by `penpals serve` for this classroom.", status: .unauthorized)
            }
            return page(title: node.directory.local.displayName,
                        message: "This node is running. Use the penpals command line (penpals invitations, penpals meetings) to work with it.")
        }
    }
}
