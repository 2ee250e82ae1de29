import Foundation

/// A meeting as WebEx's API shows it: the spec's required fields of a meeting
/// series, filled with plausible values.
struct MeetingResource: Encodable {
    struct Telephony: Encodable {
        struct CallInNumber: Encodable {
            var label = "Sandbox Toll"
            var callInNumber = "+1-555-0100"
            var tollType = "toll"
        }
        var accessCode: String
        var callInNumbers = [CallInNumber()]
        var links: [String] = []
    }

    var id: String
    var meetingNumber: String
    var title: String
    var password: String
    var meetingType = "meetingSeries"
    var state: String
    var timezone: String
    var start: String
    var end: String
    /// Only for a series: a one-off meeting's answer has no `recurrence`, as in WebEx.
    var recurrence: String?
    var hostUserId: String
    var hostDisplayName: String
    var hostEmail: String
    var hostKey: String
    var siteUrl: String
    var webLink: String
    var sipAddress: String
    var scheduledType = "meeting"
    var enabledAutoRecordMeeting = false
    var allowAnyUserToBeCoHost = false
    var enabledJoinBeforeHost = false
    var enableConnectAudioBeforeHost = false
    var joinBeforeHostMinutes = 0
    var excludePassword = false
    var publicMeeting = false
    var reminderTime = 10
    var unlockedMeetingJoinSecurity = "allowJoin"
    var enableAutomaticLock = false
    var automaticLockMinutes = 0
    var allowFirstUserToBeCoHost = false
    var allowAuthenticatedDevices = false
    var telephony: Telephony
    var integrationTags: [String]
    var enabledBreakoutSessions = false

    init(_ meeting: SandboxMeeting, now: Date) {
        let host = meeting.siteUrl.split(separator: "/").last.map(String.init) ?? meeting.siteUrl
        id = meeting.id
        meetingNumber = meeting.meetingNumber
        title = meeting.title
        password = meeting.password
        state = meeting.endDate > now ? "active" : "expired"
        timezone = meeting.timezone
        start = meeting.start
        end = meeting.end
        recurrence = meeting.recurrence
        hostUserId = Data("ciscospark://us/PEOPLE/\(meeting.hostEmail)".utf8)
            .base64EncodedString().replacingOccurrences(of: "=", with: "")
        hostDisplayName = meeting.hostDisplayName
        hostEmail = meeting.hostEmail
        hostKey = meeting.hostKey
        siteUrl = host
        webLink = meeting.webLink
        sipAddress = "\(meeting.meetingNumber)@\(host)"
        telephony = Telephony(accessCode: meeting.meetingNumber)
        integrationTags = meeting.integrationTags
    }
}

/// `{"items": [...]}`, the answer of `GET /v1/meetings`.
struct MeetingListResource: Encodable {
    var items: [MeetingResource]
}
