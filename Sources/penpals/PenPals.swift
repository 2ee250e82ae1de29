import ArgumentParser
import Foundation

/// `penpals`: run classroom nodes, or talk to a running one over its local API.
@main
struct PenPals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "penpals",
        abstract: "Classrooms that meet classrooms: each classroom runs its own node.",
        discussion: "Commands other than serve and webex-sandbox talk to the running node over its local API.",
        subcommands: [
            Serve.self, Id.self, Classrooms.self, Invite.self, Invitations.self, Accept.self, Decline.self,
            Cancel.self, Retry.self, Reschedule.self, Propose.self, Meetings.self, Sync.self, Status.self, WebexCommand.self, WebexSandboxCommand.self,
        ])
}

/// Prints one line on stderr and leaves with `code`.
func fail(_ message: String, code: Int32 = 1) -> ExitCode {
    FileHandle.standardError.write(Data((message.hasPrefix("error:") ? message : "error: \(message)").utf8 + [0x0A]))
    return ExitCode(code)
}

/// Writes a line to stdout at once (not buffered), for output that a script or person waits on.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}
