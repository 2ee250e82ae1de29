import Foundation
import Logging

/// Logs go to stderr; `PENPALS_LOG_LEVEL` (trace … critical) sets the level, info by default.
func bootstrapLogging() {
    let level = ProcessInfo.processInfo.environment["PENPALS_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
