import Foundation
import Testing

/// Two classroom dashboards in two headless Chromium browsers, against two real
/// nodes and the WebEx sandbox on loopback, used as teachers use them.
@Suite("Dashboard in a real browser", .serialized)
struct DashboardBrowserTests {
    /// Runs `body` with a running network of a and b and one signed-in browser per classroom.
    /// `extra`: more classrooms, running without a browser.
    func withDashboards(extra: [String] = [], _ body: (TestNetwork, Browser, Browser) async throws -> Void) async throws {
        try await TestNetwork.with(["a", "b"] + extra) { network in
            try await network.start("a")
            try await network.start("b")
            for name in extra { try await network.start(name) }
            let driver = try await WebDriver.start()
            var browsers: [Browser] = []
            do {
                browsers.append(try await driver.newBrowser())
                browsers.append(try await driver.newBrowser())
                let (a, b) = (browsers[0], browsers[1])
                try await signIn(a, network.member("a"))
                try await signIn(b, network.member("b"))
                try await body(network, a, b)
            } catch {
                for browser in browsers { await browser.quit() }
                await driver.stop()
                throw error
            }
            for browser in browsers { await browser.quit() }
            await driver.stop()
        }
    }

    /// Opens the sign-in link and waits for the live dashboard; the token leaves the address bar.
    func signIn(_ browser: Browser, _ member: TestNetwork.Member) async throws {
        try await browser.open("\(member.url)/?token=\(member.token)")
        // A first page load in a fresh Chromium: generous, for a 2-core CI machine running process tests beside it.
        try await browser.waitUntil("\(member.name)'s dashboard is live", timeout: .seconds(30),
                                    "document.getElementById('live').dataset.state === 'live' && document.getElementById('classroom-name').textContent === arguments[0]",
                                    [member.displayName])
        let address = try await browser.url
        #expect(address == "\(member.url)/", "the token is gone from the address bar")
    }

    /// Schedules a call from the page through the Schedule Call dialog.
    func schedule(_ browser: Browser, with partner: String, title: String, hour: Int = 15) async throws {
        try await browser.click("#classroom-list li[data-name='\(partner)'] button.schedule")
        try await browser.waitUntil("the dialog is open", "document.getElementById('schedule-dialog').open")
        try await browser.click("#day-options .choice:nth-child(2) label")        // tomorrow
        try await browser.click("#slot-options input[data-hour='\(hour)'] + label")
        try await browser.clear("#call-title")
        try await browser.type("#call-title", title)
        try await browser.click("#schedule-send")
    }

    func toastShown(_ browser: Browser, _ text: String, detail: String? = nil, timeout: Duration = .seconds(10)) async throws {
        try await browser.waitUntil("the toast \"\(text)\"", timeout: timeout, """
            [...document.querySelectorAll('#toasts .toast')].some(t =>
                t.querySelector('.toast-message').textContent === arguments[0] &&
                (arguments[1] === null || (t.querySelector('.toast-detail') || {}).textContent === arguments[1]))
            """, [text, detail as Any? ?? NSNull()])
    }

    func listed(_ list: String, _ id: String) -> String {
        "document.querySelector('#\(list) li[data-invitation-id=\"' + arguments[0] + '\"]') !== null"
    }

    @Test func scheduleFromAAppearsOnBWithoutReloadAcceptGivesBothTheSameJoinLink() async throws {
        try await withDashboards { network, a, b in
            #expect(try await a.text("#webex-status") == "WebEx not connected")
            #expect(try await a.text("#webex-connect") == "Connect WebEx")
            #expect(try await a.attribute("#webex-connect", "href") == "webex/connect")
            try await b.script("window.penpalsNoReload = true;")

            try await schedule(a, with: "b", title: "Seasons around the world")
            try await toastShown(a, "Sending meeting invitation...")
            try await toastShown(a, "Meeting invitation sent to Class B!")
            let sent = ContinuousClock.now
            try await b.waitUntil("b lists the invitation", timeout: .seconds(10),
                                  "[...document.querySelectorAll('#received-list li')].some(li => li.textContent.includes('Seasons around the world'))")
            // Well under a second when idle; the margin is for a loaded 2-core CI machine.
            let delay = ContinuousClock.now - sent
            #expect(delay < .seconds(5), "pushed to b's page, not polled: \(delay)")
            #expect(try await b.script("return window.penpalsNoReload === true;") as? Bool == true, "b's page was not reloaded")
            #expect(try await b.text("#invitation-badge").hasPrefix("1"))
            let id = try #require(try await b.script("return document.querySelector('#received-list li').dataset.invitationId;") as? String)
            #expect(try await b.text("#received-list li[data-invitation-id='\(id)'] .item-who") == "From Class A")
            try await a.waitUntil("a's Sent tab lists it", listed("sent-list", id), [id])

            // a has not connected WebEx yet: the call is accepted, Join waits for the link.
            try await b.click("#received-list li[data-invitation-id='\(id)'] button.accept")
            try await toastShown(b, "Invitation accepted.",
                                 detail: "Waiting for Class A to connect WebEx; the meeting will be created as soon as they do.")
            for (name, browser) in [("a", a), ("b", b)] {
                try await browser.waitUntil("\(name)'s Join is disabled while there is no link",
                                            "(document.querySelector('#meeting-list li[data-invitation-id=\"' + arguments[0] + '\"] button.join') || {}).disabled === true",
                                            [id])
            }
            try await b.waitUntil("b's badge is back to 0", "document.getElementById('invitation-badge').dataset.count === '0'")

            // a's teacher connects WebEx with the button: the sandbox's consent page, Allow, back to the dashboard.
            try await a.click("#webex-connect")
            try await a.waitUntil("the WebEx consent page", "document.querySelector('input[name=\"email\"]') !== null")
            try await a.clear("input[name='email']")
            try await a.type("input[name='email']", "a-teacher@school-a.example")
            try await a.click("button[value='allow']")
            try await a.waitUntil("the node says WebEx is connected", "document.body.innerText.includes('WebEx is connected')")
            try await a.click("a[href='/']")
            try await a.waitUntil("a's dashboard shows WebEx connected",
                                  "(document.getElementById('webex-status') || {}).textContent === 'WebEx connected'")
            try await eventually("the sandbox made the meeting") { await !network.sandbox.meetings().isEmpty }
            let link = try #require(await network.sandbox.meetings().first?.webLink)
            for (name, browser) in [("a", a), ("b", b)] {
                try await browser.waitUntil("\(name)'s Join opens the link",
                                            "(document.querySelector('#meeting-list li[data-invitation-id=\"' + arguments[0] + '\"] a.join') || {}).href === arguments[1]",
                                            [id, link])
                let calendar = try await browser.attribute("#meeting-list li[data-invitation-id='\(id)'] a.calendar", "href")
                #expect(calendar?.hasSuffix("/calendar.ics") == true)
                #expect(try await browser.text("#meeting-list li[data-invitation-id='\(id)'] .item-who")
                        == "With Class \(name == "a" ? "B" : "A")")
            }
            #expect(await network.sandbox.meetings().count == 1)

            // The .ics the page links to is what the browser downloads with its cookie.
            let ics = try #require(try await b.script(
                "return fetch(document.querySelector('#meeting-list a.calendar').getAttribute('href')).then(r => r.text());") as? String)
            #expect(ics.contains("BEGIN:VCALENDAR"))
            #expect(ics.contains(link))

            if ProcessInfo.processInfo.environment["PENPALS_SCREENSHOTS"] == "1" {
                try await takeScreenshots(network, a, b)
            }

            // b calls the meeting off (confirming the question): a's page drops it and WebEx no longer has it.
            try await b.script("window.confirm = () => true;")
            try await b.click("#meeting-list li[data-invitation-id='\(id)'] button.cancel-meeting")
            try await toastShown(b, "Meeting with Class A cancelled.")
            for (name, browser) in [("a", a), ("b", b)] {
                try await browser.waitUntil("\(name)'s page no longer lists the meeting", "!(\(listed("meeting-list", id)))", [id])
            }
            try await eventually("the sandbox deleted the meeting") { await network.sandbox.meetings().isEmpty }
        }
    }

    @Test func declineOnBAndCancelOnAReachTheOtherPage() async throws {
        try await withDashboards { network, a, b in
            let declined = try await invite(network, from: "a", to: "b", title: "Exam week chat")
            let cancelled = try await invite(network, from: "a", to: "b", title: "Music swap")
            for id in [declined, cancelled] {
                try await b.waitUntil("b lists \(id)", listed("received-list", id), [id])
            }
            try await a.click("#tab-sent")
            try await a.waitUntil("a's Sent tab shows both", "document.querySelectorAll('#sent-list li').length === 2")
            #expect(try await a.text("#count-sent") == "2")

            try await b.click("#received-list li[data-invitation-id='\(declined)'] button.decline")
            try await toastShown(b, "Invitation from Class A declined.")
            try await a.waitUntil("the decline reaches a's page", "!(\(listed("sent-list", declined)))", [declined])
            #expect(try await status(of: declined, at: "a", in: network) == "declined")

            try await a.click("#sent-list li[data-invitation-id='\(cancelled)'] button.cancel")
            try await toastShown(a, "Invitation to Class B cancelled.")
            try await b.waitUntil("the cancel reaches b's page", "!(\(listed("received-list", cancelled)))", [cancelled])
            try await b.waitUntil("b's badge is 0", "document.getElementById('invitation-badge').dataset.count === '0'")
            #expect(try await status(of: cancelled, at: "b", in: network) == "cancelled")
            #expect(try await a.script("return document.querySelectorAll('#meeting-list li').length;") as? Int == 0)
            #expect(await network.sandbox.meetings().isEmpty)
        }
    }

    @Test func aRefusedSendShowsTheReasonAndTheDialogWorksFromTheKeyboard() async throws {
        try await withDashboards { network, a, _ in
            // A title of spaces passes the browser's check; the node refuses it and says why.
            try await schedule(a, with: "b", title: "   ")
            try await toastShown(a, "Sending meeting invitation...")
            try await toastShown(a, "Failed to send meeting invitation", detail: "Give the call a title.")
            #expect(try await a.script("return document.getElementById('schedule-dialog').open;") as? Bool == true,
                    "the dialog stays open to fix the title")
            #expect(try await a.text("#schedule-error") == "Give the call a title.")
            #expect(try await invitations(network, "a", query: "?box=sent").isEmpty)

            // Escape closes the dialog and gives the focus back to the button that opened it.
            try await a.press(Key.escape)
            try await a.waitUntil("the dialog is closed", "!document.getElementById('schedule-dialog').open")
            try await a.waitUntil("focus is back on Schedule Call",
                                  "document.activeElement && document.activeElement.matches(\"#classroom-list li[data-name='b'] button.schedule\")")
            // Enter on the focused button opens it again, with the focus inside on the day.
            try await a.press(Key.enter)
            try await a.waitUntil("the dialog is open", "document.getElementById('schedule-dialog').open")
            #expect(try await a.script("return document.activeElement.name;") as? String == "day")
            let partnerTime = try await a.text("#slot-options input[data-hour='9'] + label")
            #expect(partnerTime.contains("Tokyo"), "the partner's local time is shown beside the slot: \(partnerTime)")
            #expect(try await a.text("#schedule-zone-note").contains("Class B's local time (Tokyo)"))
            try await a.press(Key.escape)

            // The tabs follow the arrow keys.
            try await a.click("#tab-received")
            try await a.press(Key.arrowRight)
            try await a.waitUntil("Sent is selected", "document.getElementById('tab-sent').getAttribute('aria-selected') === 'true' && !document.getElementById('panel-sent').hidden && document.activeElement.id === 'tab-sent'")

            // Every control has a name, and nothing scrolls sideways on a phone.
            let unnamed = try await a.script("""
                return [...document.querySelectorAll('button, a, input, select')].filter(e => {
                  if (e.closest('[hidden]')) return false;
                  const label = e.labels && e.labels.length ? e.labels[0].textContent : '';
                  return !(e.getAttribute('aria-label') || e.textContent.trim() || label.trim());
                }).map(e => e.outerHTML);
                """) as? [Any]
            #expect(unnamed?.isEmpty == true, "\(unnamed ?? [])")
            try await a.resize(width: 390, height: 844)
            try await a.waitUntil("the narrow layout fits", "document.documentElement.scrollWidth <= window.innerWidth")
        }
    }

    /// A browser Notification API that records what the page shows, granted, with the page
    /// in the background (headless Chromium has no notification permission to give).
    static let fakeNotifications = """
        window.shown = [];
        window.Notification = class { constructor(title, options) { window.shown.push(title + ': ' + options.body); }
          static get permission() { return 'granted'; } static requestPermission() { return Promise.resolve('granted'); } };
        Object.defineProperty(document, 'visibilityState', { get: () => 'hidden', configurable: true });
        """

    @Test func aWeeklySeriesAProposalAndReschedulesFromThePagesWithNotificationsInTheBackground() async throws {
        try await withDashboards { network, a, b in
            try await a.script(Self.fakeNotifications)
            try await b.script(Self.fakeNotifications)

            // a schedules four weekly calls.
            try await a.click("#classroom-list li[data-name='b'] button.schedule")
            try await a.waitUntil("the dialog is open", "document.getElementById('schedule-dialog').open")
            try await a.click("#day-options .choice:nth-child(2) label")
            try await a.click("#slot-options input[data-hour='15'] + label")
            try await a.script("const r = document.getElementById('call-repeat'); r.value = 'weekly'; r.dispatchEvent(new Event('change'));")
            try await a.waitUntil("the number of calls shows", "!document.getElementById('call-count-label').hidden")
            try await a.clear("#call-count")
            try await a.type("#call-count", "4")
            try await a.clear("#call-title")
            try await a.type("#call-title", "Term of pen pals")
            try await a.click("#schedule-send")
            try await toastShown(a, "Meeting invitation sent to Class B!")
            try await b.waitUntil("b lists the series", "[...document.querySelectorAll('#received-list li .item-series')].some(p => p.textContent === 'Weekly · 4 calls')")
            let id = try #require(try await b.script("return document.querySelector('#received-list li').dataset.invitationId;") as? String)
            try await b.waitUntil("b's page notified of the invitation in the background",
                                  "window.shown.some(n => n.startsWith('New meeting invitation: Class A: “Term of pen pals”'))")

            // b proposes another time: the dialog offers no title, and shows both local times.
            try await b.click("#received-list li[data-invitation-id='\(id)'] button.propose")
            try await b.waitUntil("the proposal dialog", "document.getElementById('schedule-dialog').open && document.getElementById('schedule-heading').textContent === 'Propose a New Time'")
            #expect(try await b.script("return document.getElementById('title-field').hidden && document.getElementById('repeat-field').hidden;") as? Bool == true)
            #expect(try await b.text("#schedule-current").hasPrefix("Now: “Term of pen pals”"))
            let theirs = try await b.text("#slot-options input[data-hour='10'] + label")
            #expect(theirs.contains("Chicago"), "the partner's local time beside the slot: \(theirs)")
            try await b.click("#day-options .choice:nth-child(3) label")
            try await b.click("#slot-options input[data-hour='10'] + label")
            try await b.click("#schedule-send")
            try await toastShown(b, "New time proposed to Class A.")
            try await a.click("#tab-sent")
            try await a.waitUntil("a sees the proposal", "(document.querySelector('#sent-list li[data-invitation-id=\"' + arguments[0] + '\"] .item-proposal') || {}).textContent?.startsWith('Class B proposed instead: ')", [id])
            try await a.waitUntil("a's page notified of the proposal", "window.shown.some(n => n.startsWith('A new time is proposed: Class B asks to move “Term of pen pals”'))")
            let proposal = try #require(try await invitations(network, "a", query: "?box=sent").first?["proposal"] as? [String: Any])

            // a takes the proposed time: both at revision 1, the proposal gone.
            try await a.click("#sent-list li[data-invitation-id='\(id)'] button.use-proposal")
            try await toastShown(a, "Moved to the time Class B proposed.")
            try await b.waitUntil("b shows revision 1", "(document.querySelector('#received-list li[data-invitation-id=\"' + arguments[0] + '\"]') || {dataset: {}}).dataset.revision === '1'", [id])
            #expect(try await b.script("return document.querySelector('#received-list li .item-proposal') === null;") as? Bool == true)
            let atB = try #require(try await invitations(network, "b").first)
            #expect(atB["start_time"] as? String == proposal["start_time"] as? String)

            // a reschedules once more through its dialog, with a new title.
            try await a.click("#sent-list li[data-invitation-id='\(id)'] button.reschedule")
            try await a.waitUntil("the reschedule dialog", "document.getElementById('schedule-heading').textContent === 'Reschedule Call'")
            #expect(try await a.script("return document.getElementById('call-title').value;") as? String == "Term of pen pals")
            try await a.click("#day-options .choice:nth-child(4) label")
            try await a.click("#slot-options input[data-hour='9'] + label")
            try await a.clear("#call-title")
            try await a.type("#call-title", "Term of pen pals, moved")
            try await a.click("#schedule-send")
            try await toastShown(a, "Call rescheduled; Class B sees the new time.")
            try await b.waitUntil("b shows revision 2 and the new title", "(document.querySelector('#received-list li[data-invitation-id=\"' + arguments[0] + '\"]') || {dataset: {}}).dataset.revision === '2' && document.querySelector('#received-list li .item-title').textContent === 'Term of pen pals, moved'", [id])
            #expect(try await b.text("#received-list li .item-revision") == "Rescheduled (revision 2)")
            #expect(try await b.text("#received-list li .item-series") == "Weekly · 4 calls", "still a series")
        }
    }

    @Test func aGroupCallToTwoClassroomsFromTheDialog() async throws {
        try await withDashboards(extra: ["c"]) { network, a, b in
            try await a.click("#classroom-list li[data-name='b'] button.schedule")
            try await a.waitUntil("the dialog offers the other classroom", "!document.getElementById('also-field').hidden && document.getElementById('also-c') !== null && document.getElementById('also-b') === null")
            try await a.click("#day-options .choice:nth-child(2) label")
            try await a.click("#slot-options input[data-hour='11'] + label")
            try await a.click("label[for='also-c']")
            try await a.clear("#call-title")
            try await a.type("#call-title", "Three schools")
            try await a.click("#schedule-send")
            try await toastShown(a, "Meeting invitation sent to Class B, Class C!")
            try await b.waitUntil("b lists it", "[...document.querySelectorAll('#received-list li')].some(li => li.textContent.includes('Three schools'))")
            let sent = try await invitations(network, "a", query: "?box=sent")
            #expect(sent.count == 2)
            #expect(Set(sent.compactMap { $0["group_id"] as? String }).count == 1, "one group")
            #expect(try await invitations(network, "c").first?["title"] as? String == "Three schools")
        }
    }

    /// The README's pictures: a's dashboard, the Schedule Call dialog, b on a phone.
    func takeScreenshots(_ network: TestNetwork, _ a: Browser, _ b: Browser) async throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/screenshots")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        _ = try await invite(network, from: "b", to: "a", title: "Our school garden")
        _ = try await invite(network, from: "a", to: "b", title: "Counting to ten in Japanese")
        try await a.waitUntil("a shows one received and one sent",
                              "document.getElementById('count-received').textContent === '1' && document.getElementById('count-sent').textContent === '1'")
        try await a.script("document.querySelectorAll('#toasts .toast').forEach(t => t.remove()); document.activeElement.blur();")
        try await a.click("#tab-received")
        try await a.script("document.activeElement.blur();")
        try await a.screenshot().write(to: folder.appendingPathComponent("dashboard.png"))

        try await a.click("#classroom-list li[data-name='b'] button.schedule")
        try await a.waitUntil("the dialog is open", "document.getElementById('schedule-dialog').open")
        try await a.click("#day-options .choice:nth-child(3) label")
        try await a.click("#slot-options input[data-hour='16'] + label")
        try await a.type("#call-title", "Seasons around the world")
        try await a.script("document.getElementById('schedule-dialog').scrollTop = 0;")
        try await a.screenshot().write(to: folder.appendingPathComponent("schedule-dialog.png"))
        try await a.press(Key.escape)

        try await b.resize(width: 390, height: 844)
        try await b.waitUntil("b shows the invitation from a", "document.getElementById('count-received').textContent === '1'")
        try await b.script("document.querySelectorAll('#toasts .toast').forEach(t => t.remove()); document.querySelector('.side').scrollIntoView();")
        try await b.screenshot().write(to: folder.appendingPathComponent("dashboard-narrow.png"))
    }
}
