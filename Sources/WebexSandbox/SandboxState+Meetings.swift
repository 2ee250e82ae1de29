import Foundation

/// Scheduling, listing, updating and deleting meetings for the token's user.
extension SandboxState {
    /// `POST /v1/meetings`. Every attempt, failed ones included, counts toward the daily quota.
    func createMeeting(
        body: MeetingDraft.Body?,
        user: User,
        token: String,
        site: String,
        now: Date
    ) throws(SandboxFailure) -> SandboxMeeting {
        let dayAgo = now.addingTimeInterval(-86_400)
        var attempts = (creationAttempts[user.email] ?? []).filter { $0 > dayAgo }
        if attempts.count >= configuration.meetingsPerDay, let oldest = attempts.first {
            creationAttempts[user.email] = attempts
            throw SandboxFailure(
                status: .tooManyRequests,
                message: "You have reached the limit of \(configuration.meetingsPerDay) meetings in 24 hours.",
                retryAfter: max(1, Int(oldest.timeIntervalSince(dayAgo).rounded(.up)))
            )
        }
        attempts.append(now)
        creationAttempts[user.email] = attempts

        guard let body else { throw .invalid("The request body is not a valid JSON meeting object.") }
        let draft = try MeetingDraft(body: body, now: now)
        let id = Self.randomHex(bytes: 16)
        let meeting = SandboxMeeting(
            id: id,
            meetingNumber: Self.randomDigits(10),
            title: draft.title,
            start: draft.startText,
            end: draft.endText,
            timezone: draft.timezone,
            webLink: site + "/meet/" + id,
            hostEmail: user.email,
            hostDisplayName: user.displayName,
            integrationTags: draft.integrationTags,
            recurrence: draft.recurrence,
            createdWithToken: token,
            createdAt: now,
            startDate: draft.start,
            endDate: draft.end,
            password: "Pp" + Self.randomHex(bytes: 3),
            hostKey: Self.randomDigits(6),
            siteUrl: site
        )
        meetings.append(meeting)
        return meeting
    }

    /// `GET /v1/meetings`: the user's meetings overlapping `from..<to`, by start.
    func meetings(of user: User, integrationTag: String?, from: Date, to: Date, max: Int) -> [SandboxMeeting] {
        meetings
            .filter { $0.hostEmail == user.email }
            .filter { integrationTag == nil || $0.integrationTags.contains(integrationTag ?? "") }
            .filter { $0.startDate < to && $0.endDate > from }
            .sorted { $0.startDate < $1.startDate }
            .prefix(max)
            .map { $0 }
    }

    /// `GET /v1/meetings/{id}`: only the host sees it; anyone else gets 404, as for an unknown id.
    func meeting(id: String, for user: User) throws(SandboxFailure) -> SandboxMeeting {
        guard let meeting = meeting(id: id), meeting.hostEmail == user.email else { throw .notFound }
        return meeting
    }

    /// `PUT /v1/meetings/{id}`: only the host may update it; anyone else gets 404, as for an unknown id.
    ///
    /// The body is checked as a create's is (`MeetingDraft`) and replaces the title,
    /// start, end, time zone, integration tags and recurrence; a time zone left out
    /// becomes UTC again, and a recurrence left out makes a series a one-off. The id,
    /// number, web link, host and passwords stay. Updates do not count toward the
    /// daily creation quota.
    func updateMeeting(id: String, body: MeetingDraft.Body?, user: User, now: Date) throws(SandboxFailure) -> SandboxMeeting {
        guard let index = meetings.firstIndex(where: { $0.id == id }), meetings[index].hostEmail == user.email else {
            throw .notFound
        }
        guard let body else { throw .invalid("The request body is not a valid JSON meeting object.") }
        let draft = try MeetingDraft(body: body, now: now)
        meetings[index].title = draft.title
        meetings[index].start = draft.startText
        meetings[index].end = draft.endText
        meetings[index].timezone = draft.timezone
        meetings[index].integrationTags = draft.integrationTags
        meetings[index].recurrence = draft.recurrence
        meetings[index].startDate = draft.start
        meetings[index].endDate = draft.end
        return meetings[index]
    }

    /// `DELETE /v1/meetings/{id}`: only the host may delete it.
    func deleteMeeting(id: String, for user: User) throws(SandboxFailure) {
        guard let index = meetings.firstIndex(where: { $0.id == id }), meetings[index].hostEmail == user.email else {
            throw .notFound
        }
        meetings.remove(at: index)
    }
}
