import Foundation
import Hummingbird

/// The request context of the sandbox: Hummingbird's core plus WebEx's tracking id.
///
/// WebEx answers every API call with a `trackingid` header and repeats it in
/// error bodies; creating it with the context lets both use the same value.
struct SandboxRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let trackingID: String

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.trackingID = "SANDBOX_" + UUID().uuidString
    }
}
