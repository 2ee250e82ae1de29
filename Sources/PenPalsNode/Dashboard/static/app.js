// PenPals dashboard: one classroom's page, using only its node's local API.
// Plain JavaScript, no build step. Text from other classrooms (titles, names) is
// only ever set with textContent, never parsed as HTML.
'use strict';

const state = {
  csrf: null,
  status: null,
  zone: undefined,          // the teacher's (node's) IANA time zone
  classrooms: [],
  received: [],
  sent: [],
  meetings: [],
  waiting: [],              // accepted invitations whose meeting does not exist yet
  signedOut: false,
  events: null,
  partner: null,            // the classroom the schedule dialog is for
  opener: null,             // the button that opened the dialog, to return focus to
  mode: 'invite',           // what the dialog does: invite, reschedule (sender) or propose (receiver)
  changing: null,           // the invitation a reschedule or proposal is for
  scheduled: new Map(),     // scheduled invitations by id (their revision and proposal, for the meetings)
  seen: null,               // what was already shown, to notify only of what is new
};

const $ = (id) => document.getElementById(id);

// ---- DOM ------------------------------------------------------------------

function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === 'class') element.className = value;
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

// ---- Time -----------------------------------------------------------------

function zoneParts(date, zone) {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const parts = Object.fromEntries(format.formatToParts(date).map((part) => [part.type, part.value]));
  return {
    year: Number(parts.year), month: Number(parts.month), day: Number(parts.day),
    hour: Number(parts.hour) % 24, minute: Number(parts.minute), second: Number(parts.second),
  };
}

/** Milliseconds that `zone` is ahead of UTC at `date`. */
function zoneOffset(date, zone) {
  const p = zoneParts(date, zone);
  const asUTC = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUTC - (date.getTime() - date.getMilliseconds());
}

/** The instant at which the wall clock in `zone` shows the given day and hour. */
function instantIn(zone, year, month, day, hour, minute = 0) {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - zoneOffset(new Date(wall), zone);
  return new Date(wall - zoneOffset(new Date(first), zone));
}

function rfc3339(date) {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function formatter(zone, options) {
  return new Intl.DateTimeFormat(undefined, { timeZone: zone, ...options });
}

function hourText(date, zone) {
  return formatter(zone, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(date);
}

function dayText(date, zone) {
  return formatter(zone, { weekday: 'short', day: 'numeric', month: 'short' }).format(date);
}

function zoneName(date, zone) {
  const part = formatter(zone, { timeZoneName: 'short' }).formatToParts(date).find((p) => p.type === 'timeZoneName');
  return part ? part.value : zone;
}

function cityOf(zone) {
  return zone.split('/').pop().replace(/_/g, ' ');
}

/** "Wed 2 Dec, 09:00–10:00 CST" in the teacher's zone. */
function rangeText(startText, endText) {
  const start = new Date(startText);
  const end = new Date(endText);
  const zone = state.zone;
  const sameDay = dayText(start, zone) === dayText(end, zone);
  const endPart = sameDay ? hourText(end, zone) : `${dayText(end, zone)}, ${hourText(end, zone)}`;
  return `${dayText(start, zone)}, ${hourText(start, zone)}–${endPart} ${zoneName(start, zone)}`;
}

// ---- API ------------------------------------------------------------------

class APIError extends Error {
  constructor(message, status, code) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET' && method !== 'HEAD') headers['X-PenPals-CSRF'] = state.csrf || '';
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method, headers, credentials: 'same-origin', cache: 'no-store',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (error) {
    throw new APIError('The classroom node cannot be reached. Is it running?', 0, 'unreachable');
  }
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (response.status === 401) showSignedOut();
  if (!response.ok) {
    const message = (data && data.error && data.error.message) || `The node answered ${response.status}.`;
    throw new APIError(message, response.status, data && data.error && data.error.code);
  }
  return { status: response.status, data };
}

// ---- Toasts ---------------------------------------------------------------

/** Shows a toast; `kind` is info, success or error; errors carry the reason as `detail`. */
function toast(message, kind = 'info', detail = '') {
  const region = $('toasts');
  const item = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : null },
    h('p', { class: 'toast-message' }, message),
    detail ? h('p', { class: 'toast-detail' }, detail) : null,
    h('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss', onclick: () => removeToast(item) }, '×'));
  region.append(item);
  // Toasts live in the top layer, above an open dialog: re-show to come above it.
  if (typeof region.showPopover === 'function') {
    if (region.matches(':popover-open')) region.hidePopover();
    region.showPopover();
  }
  setTimeout(() => removeToast(item), kind === 'error' ? 12000 : 6000);
  return item;
}

function removeToast(item) {
  item.remove();
  const region = $('toasts');
  if (!region.children.length && typeof region.hidePopover === 'function' && region.matches(':popover-open')) {
    region.hidePopover();
  }
}

function showSignedOut() {
  if (state.signedOut) return;
  state.signedOut = true;
  const banner = $('banner');
  banner.textContent = 'You are signed out of this classroom. Open the sign-in link that `penpals serve` printed (it ends in ?token=…).';
  banner.hidden = false;
  if (state.events) state.events.close();
  setLive('off');
}

// ---- Loading and live updates --------------------------------------------

let refreshing = null;
let refreshAgain = false;

/** Reads every list again; calls made while a refresh runs are folded into one more. */
function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      do {
        refreshAgain = false;
        await loadAll();
      } while (refreshAgain);
    } catch (error) {
      if (!state.signedOut) console.warn('refresh failed', error);
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

async function loadAll() {
  const [status, classrooms, received, sent, meetings, accepted, scheduled] = await Promise.all([
    api('GET', 'api/status'),
    api('GET', 'api/classrooms'),
    api('GET', 'api/webex/invitations'),
    api('GET', 'api/webex/invitations?box=sent'),
    api('GET', 'api/meetings'),
    api('GET', 'api/webex/invitations?box=all&status=accepted'),
    api('GET', 'api/webex/invitations?box=all&status=scheduled'),
  ]);
  state.status = status.data;
  state.zone = status.data.timezone || undefined;
  state.classrooms = classrooms.data.classrooms || [];
  state.received = received.data.invitations || [];
  state.sent = sent.data.invitations || [];
  state.meetings = meetings.data.meetings || [];
  state.waiting = (accepted.data.invitations || []).filter((invitation) => !invitation.meeting_id);
  state.scheduled = new Map((scheduled.data.invitations || []).map((invitation) => [invitation.id, invitation]));
  render();
  notifyOfNews();
}

// ---- Browser notifications ------------------------------------------------

/** What deserves a notification: each invitation received, and each proposal, once. */
function newsKeys() {
  const keys = new Map();
  for (const invitation of state.received) keys.set(`invitation ${invitation.id}`, ['New meeting invitation', `${invitation.sender_name}: “${invitation.title}”`]);
  const mine = [...state.sent, ...state.scheduled.values(), ...state.waiting].filter((i) => i.sender_id === state.status.node_id);
  for (const invitation of mine) {
    if (!invitation.proposal) continue;
    keys.set(`proposal ${invitation.id} ${invitation.proposal.start_time}`,
      ['A new time is proposed', `${invitation.receiver_name} asks to move “${invitation.title}” to ${rangeText(invitation.proposal.start_time, invitation.proposal.end_time)}`]);
  }
  return keys;
}

/** Notifies, while the page is in the background and the teacher allowed it, of what is new since the last look. */
function notifyOfNews() {
  const keys = newsKeys();
  const seen = state.seen;
  state.seen = new Set(keys.keys());
  if (!seen || !('Notification' in window) || Notification.permission !== 'granted' || document.visibilityState !== 'hidden') return;
  for (const [key, [title, body]] of keys) {
    if (!seen.has(key)) new Notification(title, { body, tag: key });
  }
}

function setUpNotifications() {
  const button = $('notify-on');
  const show = () => { button.hidden = !('Notification' in window) || Notification.permission !== 'default'; };
  show();
  button.addEventListener('click', async () => {
    const answer = await Notification.requestPermission();
    show();
    toast(answer === 'granted' ? 'Notifications are on: new invitations and proposed times show while this page is in the background.'
      : 'Notifications stay off; the browser was not allowed to show them.', answer === 'granted' ? 'success' : 'info');
  });
}

function setLive(mode) {
  const live = $('live');
  live.dataset.state = mode;
  live.textContent = { live: 'Live', connecting: 'Reconnecting…', off: 'Offline' }[mode] || mode;
}

function connectEvents() {
  if (state.signedOut) return;
  const source = new EventSource('api/events');
  state.events = source;
  source.addEventListener('open', () => {
    setLive('live');
    refresh();   // anything missed while disconnected
  });
  source.addEventListener('change', () => refresh());
  source.addEventListener('error', () => {
    setLive('connecting');
    if (source.readyState === EventSource.CLOSED) {
      // Refused (e.g. signed out) rather than dropped: find out which, then try again.
      setTimeout(async () => {
        try {
          await api('GET', 'api/session');
          connectEvents();
        } catch (_) {
          if (!state.signedOut) setTimeout(connectEvents, 3000);
        }
      }, 1000);
    }
  });
}

// ---- Rendering ------------------------------------------------------------

function render() {
  renderHeader();
  renderClassrooms();
  renderInvitations();
  renderMeetings();
}

function renderHeader() {
  const status = state.status;
  document.title = `PenPals · ${status.display_name}`;
  $('classroom-name').textContent = status.display_name;
  $('classroom-zone').textContent = `Times in ${cityOf(status.timezone)} time (${zoneName(new Date(), status.timezone)})`;
  const webex = status.webex || {};
  const chip = $('webex-status');
  const connect = $('webex-connect');
  if (!webex.configured) {
    chip.textContent = 'WebEx is not set up';
    chip.dataset.state = 'off';
    connect.hidden = true;
  } else if (webex.connected) {
    chip.textContent = 'WebEx connected';
    chip.dataset.state = 'on';
    connect.hidden = false;
    connect.textContent = 'Reconnect WebEx';
    connect.classList.remove('primary');
  } else {
    chip.textContent = 'WebEx not connected';
    chip.dataset.state = 'off';
    connect.hidden = false;
    connect.textContent = 'Connect WebEx';
    connect.classList.add('primary');
  }
}

function renderClassrooms() {
  const list = $('classroom-list');
  list.replaceChildren(...state.classrooms.map((classroom) => {
    const reach = classroom.reachable ? 'Reachable' : 'Not reachable now (invitations wait and are delivered later)';
    return h('li', { class: 'card', dataset: { classroomId: classroom.id, name: classroom.name } },
      h('div', { class: 'card-main' },
        h('h3', { class: 'card-title' }, classroom.display_name),
        h('p', { class: 'reach', dataset: { reachable: String(classroom.reachable) } },
          h('span', { class: 'dot', 'aria-hidden': 'true' }), reach),
        classroom.timezone
          ? h('p', { class: 'muted small' }, `Local time: ${hourText(new Date(), classroom.timezone)} in ${cityOf(classroom.timezone)}`)
          : null),
      h('button', {
        type: 'button', class: 'button primary schedule', 'aria-label': `Schedule call with ${classroom.display_name}`,
        onclick: (event) => openSchedule(classroom, event.currentTarget),
      }, 'Schedule Call'));
  }));
  $('classrooms-empty').hidden = state.classrooms.length > 0;
}

function renderInvitations() {
  const received = state.received;
  const sent = state.sent;
  const badge = $('invitation-badge');
  badge.firstChild.textContent = String(received.length);
  badge.dataset.count = String(received.length);
  $('count-received').textContent = String(received.length);
  $('count-sent').textContent = String(sent.length);

  $('received-list').replaceChildren(...received.map((invitation) =>
    invitationItem(invitation, `From ${invitation.sender_name}`, [
      h('button', { type: 'button', class: 'button success accept', onclick: (e) => accept(invitation, e.currentTarget) },
        'Accept', h('span', { class: 'visually-hidden' }, ` “${invitation.title}”`)),
      h('button', { type: 'button', class: 'button decline', onclick: (e) => decline(invitation, e.currentTarget) },
        'Decline', h('span', { class: 'visually-hidden' }, ` “${invitation.title}”`)),
      proposeButton(invitation),
    ])));
  $('received-empty').hidden = received.length > 0;

  $('sent-list').replaceChildren(...sent.map((invitation) =>
    invitationItem(invitation, `To ${invitation.receiver_name} · waiting for an answer`, [
      rescheduleButton(invitation),
      useProposalButton(invitation),
      h('button', { type: 'button', class: 'button danger cancel', onclick: (e) => cancel(invitation, e.currentTarget) },
        'Cancel', h('span', { class: 'visually-hidden' }, ` “${invitation.title}”`)),
    ])));
  $('sent-empty').hidden = sent.length > 0;
}

function invitationItem(invitation, who, actions) {
  return h('li', { class: 'item', dataset: { invitationId: invitation.id, revision: String(invitation.revision || 0) } },
    h('h3', { class: 'item-title' }, invitation.title),
    h('p', { class: 'item-who' }, who),
    h('p', { class: 'item-when' }, rangeText(invitation.start_time, invitation.end_time)),
    changeLines(invitation),
    h('div', { class: 'item-actions' }, actions));
}

/** "Weekly · 10 calls", "Rescheduled (revision 2)", "Proposed instead: …", as they apply. */
function changeLines(invitation) {
  if (!invitation) return [];
  const lines = [];
  if (invitation.recurrence) lines.push(h('p', { class: 'item-series' }, seriesText(invitation.recurrence)));
  if (invitation.revision > 0) lines.push(h('p', { class: 'item-revision' }, `Rescheduled (revision ${invitation.revision})`));
  if (invitation.proposal) {
    const who = invitation.sender_id === state.status.node_id ? invitation.receiver_name : 'You';
    lines.push(h('p', { class: 'item-proposal' },
      `${who} proposed instead: ${rangeText(invitation.proposal.start_time, invitation.proposal.end_time)}`));
  }
  return lines;
}

function seriesText(series) {
  const unit = series.freq === 'daily' ? 'day' : 'week';
  const cadence = series.interval === 1 ? (unit === 'day' ? 'Daily' : 'Weekly') : `Every ${series.interval} ${unit}s`;
  return `${cadence} · ${series.count} calls`;
}

function classroomOf(id, name) {
  return state.classrooms.find((classroom) => classroom.id === id) || { id, display_name: name, timezone: null };
}

function rescheduleButton(invitation) {
  return h('button', {
    type: 'button', class: 'button reschedule',
    onclick: (e) => openSchedule(classroomOf(invitation.receiver_id, invitation.receiver_name), e.currentTarget, 'reschedule', invitation),
  }, 'Reschedule', h('span', { class: 'visually-hidden' }, ` “${invitation.title}”`));
}

function proposeButton(invitation) {
  return h('button', {
    type: 'button', class: 'button propose',
    onclick: (e) => openSchedule(classroomOf(invitation.sender_id, invitation.sender_name), e.currentTarget, 'propose', invitation),
  }, 'Propose new time', h('span', { class: 'visually-hidden' }, ` for “${invitation.title}”`));
}

/** The sender moves the call to the time its partner proposed. */
function useProposalButton(invitation) {
  if (!invitation.proposal) return null;
  return h('button', {
    type: 'button', class: 'button success use-proposal',
    onclick: (e) => act(e.currentTarget, async () => {
      try {
        await api('POST', `api/webex/invitations/${invitation.id}/reschedule`,
          { start_time: invitation.proposal.start_time, end_time: invitation.proposal.end_time });
        toast(`Moved to the time ${invitation.receiver_name} proposed.`, 'success');
      } catch (error) {
        toast('Failed to move the call', 'error', error.message);
      }
    }),
  }, 'Use proposed time', h('span', { class: 'visually-hidden' }, ` for “${invitation.title}”`));
}

function partnerName(participants) {
  const me = state.status.node_id;
  const others = (participants || []).filter((p) => p.id !== me).map((p) => p.name);
  return others.join(', ') || 'your partner';
}

function renderMeetings() {
  const me = state.status.node_id;
  const rows = [
    ...state.meetings.map((meeting) => ({
      start: meeting.next_start_time || meeting.start_time, end: meeting.end_time, title: meeting.title, id: meeting.invitation_id,
      partner: partnerName(meeting.participants), link: meeting.web_link, meetingId: meeting.id,
      note: state.scheduled.get(meeting.invitation_id)?.problem?.message || null,
      invitation: state.scheduled.get(meeting.invitation_id), next: meeting.next_start_time, first: meeting.start_time,
    })),
    ...state.waiting.map((invitation) => ({
      start: invitation.start_time, end: invitation.end_time, title: invitation.title, id: invitation.id,
      partner: invitation.sender_id === me ? invitation.receiver_name : invitation.sender_name,
      link: null, meetingId: null, invitation,
      note: invitation.problem ? invitation.problem.message : 'Accepted. Waiting for the WebEx link.',
    })),
  ].sort((a, b) => new Date(a.start) - new Date(b.start) || a.id.localeCompare(b.id));

  $('meeting-list').replaceChildren(...rows.map((row) => {
    const join = row.link
      ? h('a', { class: 'button success join', href: row.link, target: '_blank', rel: 'noopener noreferrer' },
        'Join', h('span', { class: 'visually-hidden' }, ` “${row.title}” (opens WebEx)`))
      : h('button', { type: 'button', class: 'button join', disabled: true, 'aria-describedby': `note-${row.id}` }, 'Join');
    const calendar = row.meetingId
      ? h('a', { class: 'button calendar', href: `api/meetings/${row.meetingId}/calendar.ics`, download: `penpals-${row.meetingId}.ics` },
        'Add to calendar', h('span', { class: 'visually-hidden' }, ` “${row.title}”`))
      : null;
    // A series shows its next call; its length is the first call's.
    const length = new Date(row.end) - new Date(row.first || row.start);
    const change = row.invitation && row.invitation.sender_id === me ? rescheduleButton(row.invitation)
      : row.invitation ? proposeButton(row.invitation) : null;
    return h('li', { class: 'item', dataset: { invitationId: row.id, revision: String(row.invitation?.revision || 0) } },
      h('h3', { class: 'item-title' }, row.title),
      h('p', { class: 'item-who' }, `With ${row.partner}`),
      h('p', { class: 'item-when' },
        `${row.next && row.next !== row.first ? 'Next: ' : ''}${rangeText(row.start, new Date(new Date(row.start).getTime() + length).toISOString())}`),
      changeLines(row.invitation),
      row.note ? h('p', { class: 'item-note', id: `note-${row.id}` }, row.note) : null,
      h('div', { class: 'item-actions' }, join, calendar, change, row.invitation?.sender_id === me ? useProposalButton(row.invitation) : null,
        h('button', { type: 'button', class: 'button danger cancel-meeting', onclick: (e) => cancelMeeting(row, e.currentTarget) },
          'Cancel', h('span', { class: 'visually-hidden' }, ` the meeting “${row.title}”`))));
  }));
  $('meetings-empty').hidden = rows.length > 0;
}

// ---- Invitation actions ---------------------------------------------------

async function act(button, work) {
  const item = button.closest('li');
  const buttons = item ? [...item.querySelectorAll('button')] : [button];
  buttons.forEach((b) => { b.disabled = true; });
  try {
    await work();
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
    refresh();
  }
}

function accept(invitation, button) {
  return act(button, async () => {
    toast('Accepting invitation...');
    try {
      const { status, data } = await api('POST', `api/webex/invitations/${invitation.id}/accept`);
      if (status === 200) {
        toast(`Invitation accepted! The meeting with ${invitation.sender_name} is ready.`, 'success');
      } else {
        const problem = data.invitation && data.invitation.problem;
        toast('Invitation accepted.', 'success',
          problem ? problem.message : `The WebEx link will appear here as soon as ${invitation.sender_name} has created the meeting.`);
      }
    } catch (error) {
      toast('Failed to accept the invitation', 'error', error.message);
    }
  });
}

function decline(invitation, button) {
  return act(button, async () => {
    try {
      await api('POST', `api/webex/invitations/${invitation.id}/decline`, {});
      toast(`Invitation from ${invitation.sender_name} declined.`, 'success');
    } catch (error) {
      toast('Failed to decline the invitation', 'error', error.message);
    }
  });
}

function cancel(invitation, button) {
  return act(button, async () => {
    try {
      await api('POST', `api/webex/invitations/${invitation.id}/cancel`, {});
      toast(`Invitation to ${invitation.receiver_name} cancelled.`, 'success');
    } catch (error) {
      toast('Failed to cancel the invitation', 'error', error.message);
    }
  });
}

// Either classroom may call off an accepted or scheduled meeting: the inviting
// classroom's node deletes it at WebEx, and both see it cancelled.
function cancelMeeting(row, button) {
  if (!window.confirm(`Cancel the meeting “${row.title}” with ${row.partner}? ${row.partner} will be told.`)) return;
  return act(button, async () => {
    try {
      await api('POST', `api/webex/invitations/${row.id}/cancel`, {});
      toast(`Meeting with ${row.partner} cancelled.`, 'success');
    } catch (error) {
      toast('Failed to cancel the meeting', 'error', error.message);
    }
  });
}

// ---- Tabs -----------------------------------------------------------------

function selectTab(tab, focus) {
  for (const other of document.querySelectorAll('[role="tab"]')) {
    const selected = other === tab;
    other.setAttribute('aria-selected', String(selected));
    other.tabIndex = selected ? 0 : -1;
    $(other.getAttribute('aria-controls')).hidden = !selected;
  }
  if (focus) tab.focus();
}

function setUpTabs() {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  tabs.forEach((tab, index) => {
    tab.addEventListener('click', () => selectTab(tab, false));
    tab.addEventListener('keydown', (event) => {
      const moves = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: tabs.length - 1 };
      if (!(event.key in moves)) return;
      event.preventDefault();
      selectTab(tabs[(moves[event.key] + tabs.length) % tabs.length], true);
    });
  });
}

// ---- Schedule Call dialog -------------------------------------------------

const FIRST_HOUR = 7;
const LAST_HOUR = 18;
const DAYS = 14;

/** The next 14 days in the teacher's zone, as {year, month, day}. */
function nextDays() {
  const today = zoneParts(new Date(), state.zone);
  const days = [];
  for (let i = 0; i < DAYS; i += 1) {
    const date = new Date(Date.UTC(today.year, today.month - 1, today.day + i, 12));
    days.push({ year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate(), offset: i });
  }
  return days;
}

/** "Today" / "Tomorrow" / "Fri" over "Nov 27". */
function dayLabel(day) {
  const noon = instantIn(state.zone, day.year, day.month, day.day, 12);
  const names = ['Today', 'Tomorrow'];
  const weekday = names[day.offset] || formatter(state.zone, { weekday: 'short' }).format(noon);
  return [h('span', { class: 'weekday' }, weekday), ' ',
    h('span', { class: 'date' }, formatter(state.zone, { day: 'numeric', month: 'short' }).format(noon))];
}

/** The dialog: a new invitation, a reschedule (sender) or a proposed time (receiver) of `invitation`. */
function openSchedule(classroom, opener, mode = 'invite', invitation = null) {
  state.partner = classroom;
  state.opener = opener;
  state.mode = mode;
  state.changing = invitation;
  const dialog = $('schedule-dialog');
  $('schedule-heading').textContent = { invite: 'Schedule Call', reschedule: 'Reschedule Call', propose: 'Propose a New Time' }[mode];
  $('schedule-send').textContent = { invite: 'Send invitation', reschedule: 'Reschedule', propose: 'Propose this time' }[mode];
  $('schedule-partner').textContent = classroom.display_name;
  const current = $('schedule-current');
  current.hidden = !invitation;
  current.textContent = invitation ? `Now: “${invitation.title}”, ${rangeText(invitation.start_time, invitation.end_time)}` : '';
  $('repeat-field').hidden = mode !== 'invite';
  // A new invitation may go to several classrooms at once: one group call.
  const others = mode === 'invite' ? state.classrooms.filter((other) => other.id !== classroom.id) : [];
  $('also-field').hidden = others.length === 0;
  $('also-options').replaceChildren(...others.slice(0, 7).map((other) => h('div', { class: 'choice' },
    h('input', { type: 'checkbox', name: 'also', id: `also-${other.name}`, value: other.id, dataset: { name: other.name } }),
    h('label', { for: `also-${other.name}` }, other.display_name))));
  $('title-field').hidden = mode === 'propose';
  $('call-title').required = mode !== 'propose';
  if (invitation) {
    $('call-title').value = invitation.title;
    const minutes = Math.round((new Date(invitation.end_time) - new Date(invitation.start_time)) / 60000);
    const length = $('call-duration');
    if (![...length.options].some((option) => Number(option.value) === minutes)) {
      length.append(h('option', { value: String(minutes) }, `${minutes} minutes`));
    }
    length.value = String(minutes);
  }
  $('schedule-error').hidden = true;
  $('slot-zone').textContent = `(your time, ${zoneName(new Date(), state.zone)})`;
  $('schedule-zone-note').textContent = classroom.timezone
    ? `Times are in your time zone (${cityOf(state.zone)}); ${classroom.display_name}'s local time (${cityOf(classroom.timezone)}) is shown beside each.`
    : `Times are in your time zone (${cityOf(state.zone)}). ${classroom.display_name}'s time zone is not known to this node, so only your times are shown.`;

  const days = nextDays();
  const dayOptions = $('day-options');
  dayOptions.replaceChildren(...days.map((day) => {
    const value = `${day.year}-${String(day.month).padStart(2, '0')}-${String(day.day).padStart(2, '0')}`;
    const id = `day-${value}`;
    return h('div', { class: 'choice' },
      h('input', { type: 'radio', name: 'day', id, value, onchange: () => renderSlots(day) }),
      h('label', { for: id }, dayLabel(day)));
  }));
  // The first day that still has an hour to offer.
  const now = Date.now();
  const first = days.find((day) => instantIn(state.zone, day.year, day.month, day.day, LAST_HOUR) > now) || days[1];
  dayOptions.querySelectorAll('input')[days.indexOf(first)].checked = true;
  renderSlots(first);
  updateCounter();
  dialog.showModal();
  dayOptions.querySelector('input:checked').focus();
}

function renderSlots(day) {
  const partnerZone = state.partner && state.partner.timezone;
  const now = Date.now();
  const slots = [];
  for (let hour = FIRST_HOUR; hour <= LAST_HOUR; hour += 1) {
    const start = instantIn(state.zone, day.year, day.month, day.day, hour);
    const id = `slot-${rfc3339(start)}`;
    const past = start.getTime() <= now;
    let theirs = null;
    if (partnerZone) {
      const sameDay = dayText(start, partnerZone) === dayText(start, state.zone);
      theirs = h('span', { class: 'theirs' },
        `${cityOf(partnerZone)} ${sameDay ? '' : `${formatter(partnerZone, { weekday: 'short' }).format(start)} `}${hourText(start, partnerZone)}`);
    }
    slots.push(h('div', { class: 'choice slot' },
      h('input', { type: 'radio', name: 'slot', id, value: rfc3339(start), disabled: past, dataset: { hour: String(hour) } }),
      h('label', { for: id }, h('span', { class: 'mine' }, hourText(start, state.zone)), theirs)));
  }
  $('slot-options').replaceChildren(...slots);
  $('slots-empty').hidden = slots.some((slot) => !slot.querySelector('input').disabled);
}

function updateCounter() {
  const length = $('call-title').value.length;
  $('title-count').textContent = `${length} / 128 characters`;
}

function closeSchedule() {
  $('schedule-dialog').close();
}

async function sendInvitation(event) {
  event.preventDefault();
  const form = $('schedule-form');
  const error = $('schedule-error');
  const slot = form.querySelector('input[name="slot"]:checked');
  const title = $('call-title');
  if (!slot) {
    error.textContent = 'Choose a time for the call.';
    error.hidden = false;
    form.querySelector('input[name="slot"]:not(:disabled)')?.focus();
    return;
  }
  if (!title.value && state.mode !== 'propose') {
    error.textContent = 'Give the call a title.';
    error.hidden = false;
    title.focus();
    return;
  }
  error.hidden = true;
  const partner = state.partner;
  const start = new Date(slot.value);
  const end = new Date(start.getTime() + Number($('call-duration').value) * 60000);
  const send = $('schedule-send');
  send.disabled = true;
  const mode = state.mode;
  const changing = state.changing;
  const times = { start_time: rfc3339(start), end_time: rfc3339(end) };
  try {
    if (mode === 'reschedule') {
      await api('POST', `api/webex/invitations/${changing.id}/reschedule`, { ...times, title: title.value });
      toast(`Call rescheduled; ${partner.display_name} sees the new time.`, 'success');
    } else if (mode === 'propose') {
      await api('POST', `api/webex/invitations/${changing.id}/propose`, times);
      toast(`New time proposed to ${partner.display_name}.`, 'success');
    } else {
      toast('Sending meeting invitation...');
      const also = [...form.querySelectorAll('input[name="also"]:checked')].map((box) => box.value);
      const body = also.length ? { classroom_ids: [partner.id, ...also], title: title.value, ...times }
        : { classroom_id: partner.id, title: title.value, ...times };
      const repeat = $('call-repeat').value;
      if (repeat) body.recurrence = { freq: repeat, interval: 1, count: Number($('call-count').value) };
      await api('POST', 'api/webex/meeting', body);
      const names = [partner.display_name, ...also.map((id) => classroomOf(id, id).display_name)];
      toast(`Meeting invitation sent to ${names.join(', ')}!`, 'success');
      selectTab($('tab-sent'), false);
    }
    closeSchedule();
    form.reset();
    $('call-count-label').hidden = true;
    refresh();
  } catch (failure) {
    error.textContent = failure.message;
    error.hidden = false;
    const what = { invite: 'Failed to send meeting invitation', reschedule: 'Failed to reschedule the call', propose: 'Failed to propose the time' }[mode];
    toast(what, 'error', failure.message);
  } finally {
    send.disabled = false;
  }
}

function setUpDialog() {
  const dialog = $('schedule-dialog');
  $('schedule-form').addEventListener('submit', sendInvitation);
  $('schedule-cancel').addEventListener('click', closeSchedule);
  $('call-title').addEventListener('input', updateCounter);
  $('call-repeat').addEventListener('change', () => { $('call-count-label').hidden = !$('call-repeat').value; });
  dialog.addEventListener('close', () => {
    if (state.opener && document.contains(state.opener)) state.opener.focus();
  });
  // A click on the backdrop closes the dialog, as Escape does.
  dialog.addEventListener('click', (event) => {
    if (event.target === dialog) closeSchedule();
  });
}

// ---- Start ----------------------------------------------------------------

async function start() {
  setUpTabs();
  setUpDialog();
  setUpNotifications();
  try {
    const session = await api('GET', 'api/session');
    state.csrf = session.data.csrf_token;
  } catch (error) {
    if (!state.signedOut) toast('The dashboard could not load', 'error', error.message);
    return;
  }
  await refresh();
  connectEvents();
}

document.addEventListener('DOMContentLoaded', start);
