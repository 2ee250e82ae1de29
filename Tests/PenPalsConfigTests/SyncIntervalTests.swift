import Foundation
import Testing
@testable import PenPalsConfig

@Suite struct SyncIntervalTests {
    @Test func defaultsToThirtySeconds() throws {
        #expect(try load(nodeBlock("a", port: 7501)).syncInterval == 30)
    }

    @Test func readsWholeSeconds() throws {
        #expect(try load("sync_interval = 120\n" + nodeBlock("a", port: 7501)).syncInterval == 120)
    }

    @Test(arguments: ["0", "4", "3601", "\"30s\"", "2.5"])
    func refusesValuesOutsideFiveSecondsToAnHour(_ value: String) throws {
        #expect {
            _ = try load("sync_interval = \(value)\n" + nodeBlock("a", port: 7501))
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.key == "sync_interval" && error.description.hasPrefix("error: ") && !error.description.contains("\n")
        }
    }
}
