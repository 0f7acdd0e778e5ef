// CareTrail timeline web view: reads GET /api/v1/patients/{nhsNumber}/timeline and shows it.
// Every value from the API is put on the page as text (textContent), never as markup.
'use strict';

(function () {
  const API = '/api/v1/patients/';
  const PAGE_SIZE = 50;
  const MAX_RETRIES = 10;
  const KIND_NAMES = {
    GP: 'GP', ACUTE: 'Hospital', COMMUNITY: 'Community', AMBULANCE: 'Ambulance',
    MENTAL_HEALTH: 'Mental health', SOCIAL_CARE: 'Social care', PHARMACY: 'Pharmacy'
  };
  const TYPE_NAMES = {
    ADMISSION: 'Admission', TRANSFER: 'Transfer', DISCHARGE: 'Discharge', ATTENDANCE: 'A&E attendance',
    REFERRAL: 'Referral', PRESCRIPTION: 'Prescription', APPOINTMENT: 'Appointment',
    AMBULANCE_CONVEYANCE: 'Ambulance conveyance', SOCIAL_CARE: 'Social care', GP_REGISTRATION: 'GP registration',
    DEATH: 'Death'
  };
  // why a move is more than a bed move (Transfer.reason, from HL7 A06, A07, A17)
  const MOVE_REASONS = {
    CHANGED_TO_INPATIENT: 'Became an inpatient', CHANGED_TO_OUTPATIENT: 'No longer an inpatient',
    SWAPPED_BEDS: 'Beds swapped'
  };
  const CLASS_NAMES = {
    INPATIENT: 'inpatient', DAY_CASE: 'day case', EMERGENCY: 'emergency (A&E)', OUTPATIENT: 'outpatient', OTHER: 'other'
  };
  const ukTime = new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Europe/London', day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit'
  });

  const $ = (id) => document.getElementById(id);
  // the platform's API token, when it needs one: kept for this browser tab only
  const TOKEN_KEY = 'caretrail.apiToken';

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key.startsWith('data-')) node.setAttribute(key, value);
      else node.setAttribute(key, value === true ? '' : value);
    }
    for (const child of children.flat()) {
      if (child === undefined || child === null) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  function setState(state, message) {
    document.body.dataset.state = state;
    $('status').textContent = message || '';
    $('status').className = 'status ' + state;
  }

  function digits(text) {
    return (text || '').replace(/\s+/g, '');
  }

  function formatNhs(nhs) {
    const d = digits(nhs);
    return d.length === 10 ? d.slice(0, 3) + ' ' + d.slice(3, 6) + ' ' + d.slice(6) : nhs;
  }

  function time(iso) {
    if (!iso) return '';
    const date = new Date(iso);
    if (isNaN(date.getTime())) return iso;
    return el('time', { datetime: iso, title: iso }, ukTime.format(date));
  }

  function duration(fromIso, toMillis) {
    const days = Math.floor((toMillis - new Date(fromIso).getTime()) / 86400000);
    if (days < 1) return 'under a day';
    if (days < 14) return days + (days === 1 ? ' day' : ' days');
    const weeks = Math.floor(days / 7);
    return weeks + ' weeks' + (days % 7 ? ' ' + (days % 7) + (days % 7 === 1 ? ' day' : ' days') : '');
  }

  // The query is the page's address: ?nhs=&types=&from=&to=&asOf=&history=&page=
  function readQuery() {
    const p = new URLSearchParams(window.location.search);
    return {
      nhs: digits(p.get('nhs')),
      types: (p.getAll('types').join(',')).split(',').filter(Boolean),
      from: p.get('from') || '',
      to: p.get('to') || '',
      asOf: p.get('asOf') || '',
      history: p.get('history') === 'true',
      page: Math.max(0, parseInt(p.get('page') || '0', 10) || 0)
    };
  }

  function address(q, page) {
    const p = new URLSearchParams();
    p.set('nhs', q.nhs);
    if (q.types.length) p.set('types', q.types.join(','));
    if (q.from) p.set('from', q.from);
    if (q.to) p.set('to', q.to);
    if (q.asOf) p.set('asOf', q.asOf);
    if (q.history) p.set('history', 'true');
    if (page) p.set('page', String(page));
    return '/?' + p.toString();
  }

  function apiUrl(q) {
    const p = new URLSearchParams();
    if (q.types.length) p.set('types', q.types.join(','));
    if (q.from) p.set('from', q.from);
    if (q.to) p.set('to', q.to);
    if (q.asOf) p.set('asOf', q.asOf);
    if (q.history) p.set('history', 'true');
    p.set('page', String(q.page));
    p.set('size', String(PAGE_SIZE));
    return API + encodeURIComponent(q.nhs) + '/timeline?' + p.toString();
  }

  function fillForm(q) {
    $('nhs').value = q.nhs ? formatNhs(q.nhs) : '';
    for (const option of $('types').options) {
      option.defaultSelected = option.selected = q.types.includes(option.value);
    }
    $('from').value = q.from;
    $('to').value = q.to;
    $('asOf').value = q.asOf;
    $('history').defaultChecked = $('history').checked = q.history;
  }

  async function load(q, attempt) {
    $('patient').hidden = true;
    if (!q.nhs) {
      setState('idle', 'Enter an NHS number to see that patient\'s timeline.');
      return;
    }
    setState('loading', 'Loading the timeline for ' + formatNhs(q.nhs) + '…');
    let response;
    let body;
    try {
      const headers = { Accept: 'application/json' };
      const token = window.sessionStorage.getItem(TOKEN_KEY);
      if (token) headers.Authorization = 'Bearer ' + token;
      // the answer is a patient's record: never kept in the browser's cache beyond this page
      response = await fetch(apiUrl(q), { headers, cache: 'no-store', credentials: 'same-origin' });
      body = await response.json();
    } catch (e) {
      setState('error', 'Cannot reach the timeline API: ' + e.message);
      return;
    }
    if (response.status === 503 && attempt < MAX_RETRIES) {
      const wait = Math.min(10, parseInt(response.headers.get('Retry-After') || '2', 10) || 2);
      setState('loading', (body.error || 'The timeline is not available yet') + '; trying again in ' + wait + ' s…');
      setTimeout(() => load(q, attempt + 1), wait * 1000);
      return;
    }
    if (response.status === 401) {
      const hadToken = !!window.sessionStorage.getItem(TOKEN_KEY);
      window.sessionStorage.removeItem(TOKEN_KEY);
      $('auth').hidden = false;
      setState('auth', hadToken ? 'That API token was not accepted. Enter the platform\'s API token.'
        : 'This platform needs its API token to show timelines. Enter it above.');
      return;
    }
    $('auth').hidden = true;
    if (response.status === 403) {
      setState('forbidden', 'Your account may not read this timeline: ' + (body.error || 'no clinician role') + '.');
      return;
    }
    if (response.status === 404) {
      if (body.mergedInto) {
        setState('merged', 'NHS number ' + formatNhs(q.nhs) + ' has been merged into ' + formatNhs(body.mergedInto)
          + ': that record now holds this patient\'s care. ');
        $('status').append(el('a', { href: address({ ...q, nhs: body.mergedInto }, 0), 'data-merged-into': body.mergedInto },
          'Show ' + formatNhs(body.mergedInto)));
      } else {
        setState('empty', 'No timeline for ' + formatNhs(q.nhs) + ': no events for this patient yet.');
      }
      return;
    }
    if (!response.ok) {
      setState('error', (response.status === 400 ? 'Cannot show this: ' : 'The timeline API answered '
        + response.status + ': ') + (body.error || response.statusText));
      return;
    }
    render(q, body);
    setState('loaded', '');
  }

  function render(q, timeline) {
    const summary = timeline.summary || {};
    // the moment the API's derived views describe (now, or the asOf asked for)
    const asOfMillis = timeline.at ? new Date(timeline.at).getTime() : Date.now();
    $('patient-title').textContent = 'NHS number ' + formatNhs(timeline.nhsNumber)
      + (q.asOf ? ' — as known at ' + q.asOf : '');

    const alerts = $('alerts');
    alerts.replaceChildren();
    if (summary.deceased) {
      alerts.append(el('p', { class: 'alert deceased', 'data-fact': 'deceased' },
        'Deceased', summary.diedAt ? [' on ', time(summary.diedAt)] : [],
        summary.deathRecordedBy ? [', recorded by ', el('span', { 'data-fact': 'death-recorded-by' }, summary.deathRecordedBy)]
          : []));
    }
    for (const late of summary.activityAfterDeath || []) {
      alerts.append(el('p', { class: 'alert warning', 'data-fact': 'after-death' }, 'Activity after death: ', late));
    }
    const open = (summary.spells || []).filter((s) => !s.dischargedAt);
    for (const spell of open) {
      // a death recorded while a spell is still open: the spell is not "now", it is where they were last known to be
      alerts.append(el('p', { class: 'alert in-hospital', 'data-fact': 'in-hospital' },
        summary.deceased ? 'Last known in hospital (the spell was not closed): ' : 'In hospital now: ',
        el('span', { 'data-fact': 'location' }, where(spell)),
        spell.admissionSeen === false ? [', first seen ', time(spell.admittedAt), ' (the admission itself has not arrived)']
          : [', since ', time(spell.admittedAt), ' (', duration(spell.admittedAt, asOfMillis), ')']));
    }

    const facts = $('facts');
    facts.replaceChildren();
    const fact = (name, key, ...value) => facts.append(el('dt', {}, name), el('dd', { 'data-fact': key }, ...value));
    fact('Registered GP practice', 'practice', summary.registeredPracticeOdsCode
      ? (summary.registeredPracticeName || summary.registeredPracticeOdsCode) + ' (' + summary.registeredPracticeOdsCode + ')'
      : 'not known');
    fact('Care from', 'kinds', (summary.providerKinds || []).map((k) => el('span', { class: 'kind kind-' + k }, KIND_NAMES[k] || k)));
    fact('A&E attendances', 'attendances', String(summary.attendances || 0));
    fact('Entries', 'entries', (summary.currentEntries || 0) + ' current',
      summary.withdrawnEntries ? [', ', q.history ? summary.withdrawnEntries + ' withdrawn (cancelled or entered in error)'
        : el('a', { href: address({ ...q, history: true }, 0), 'data-show': 'withdrawn' },
          summary.withdrawnEntries + ' withdrawn (cancelled or entered in error)')] : []);

    const views = $('views');
    views.replaceChildren();
    views.append(spellsView(summary.spells || [], asOfMillis, omitted(summary, 'spells')));
    views.append(listView('Open referrals', 'open-referrals', summary.openReferrals || [],
      (r) => [r.summary, el('span', { class: 'wait', 'data-waiting-days': r.waitingDays },
        ' (waiting ' + duration(r.occurredAt, asOfMillis) + ')')], omitted(summary, 'openReferrals')));
    const medications = summary.medications || [];
    if (medications.length || !(summary.currentPrescriptions || []).length) {
      views.append(listView('Medication', 'medications', medications, medicationLine, omitted(summary, 'medications')));
    } else {
      // a timeline from before the medication list was derived
      views.append(listView('Current prescriptions', 'prescriptions', summary.currentPrescriptions || [],
        (p) => [p.summary, el('span', { class: 'muted' }, ' (', time(p.occurredAt), ')')]));
    }

    const rows = $('entries').tBodies[0];
    rows.replaceChildren();
    for (const entry of timeline.entries || []) {
      const withdrawn = entry.status === 'WITHDRAWN';
      const source = entry.source || {};
      rows.append(el('tr', { class: withdrawn ? 'withdrawn' : '', 'data-type': entry.type, 'data-kind': source.kind,
        'data-status': entry.status, 'data-occurred-at': entry.occurredAt },
        el('td', {}, time(entry.occurredAt)),
        el('td', {}, el('span', { class: 'kind kind-' + source.kind }, KIND_NAMES[source.kind] || source.kind), ' ',
          source.name || '', el('span', { class: 'muted' }, ' ' + (source.odsCode || ''))),
        el('td', {}, TYPE_NAMES[entry.type] || entry.type,
          entry.sensitivity === 'RESTRICTED' ? el('span', { class: 'restricted' }, ' restricted') : null),
        el('td', { class: 'what' }, entry.summary || '', entryNotes(entry, timeline.nhsNumber)),
        el('td', { title: 'version ' + entry.version }, withdrawn
          // "updated" when a correction states the entry (versions may be message times, so not version > 1)
          ? (entry.type === 'ADMISSION' ? 'cancelled (withdrawn)' : 'withdrawn') : (entry.action === 'UPDATE' ? 'updated' : ''))));
    }
    if (!rows.children.length) {
      rows.append(el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No entries match.')));
    }

    const page = timeline.page || { number: 0, size: PAGE_SIZE, matchingEntries: 0, hasMore: false };
    const first = page.matchingEntries ? page.number * page.size + 1 : 0;
    const last = page.number * page.size + (timeline.entries || []).length;
    $('counts').textContent = page.matchingEntries ? '(' + first + '–' + last + ' of ' + page.matchingEntries + ')' : '';
    const pager = $('pager');
    pager.replaceChildren();
    if (page.number > 0) pager.append(el('a', { href: address(q, page.number - 1), rel: 'prev' }, '← Earlier'));
    if (page.hasMore) pager.append(el('a', { href: address(q, page.number + 1), rel: 'next' }, 'Later →'));
    $('patient').hidden = false;
  }

  // where a patient is or was: ward, bay, bed and site, as the spell's location gives them
  function where(spell) {
    const l = spell.location || {};
    const parts = [];
    const ward = l.pointOfCare || spell.currentWard;
    if (ward) parts.push(/^ward\b/i.test(ward) ? ward : 'ward ' + ward);
    if (l.room) parts.push(/^(bay|room)\b/i.test(l.room) ? l.room : 'bay ' + l.room);
    if (l.bed) parts.push(/^bed\b/i.test(l.bed) ? l.bed : 'bed ' + l.bed);
    if (l.floor) parts.push('floor ' + l.floor);
    if (l.building) parts.push(l.building);
    parts.push(l.site || spell.site || spell.odsCode);
    return parts.filter(Boolean).join(', ');
  }

  // what a row needs said besides its summary: why a move happened, and where a merged entry came from
  function entryNotes(entry, nhsNumber) {
    const notes = [];
    const reason = (entry.details || {}).reason;
    if (entry.type === 'TRANSFER' && MOVE_REASONS[reason]) {
      notes.push(el('span', { class: 'note move', 'data-move': reason }, ' ' + MOVE_REASONS[reason]));
    }
    if (entry.originNhsNumber && entry.originNhsNumber !== nhsNumber) {
      notes.push(el('span', { class: 'note merged', 'data-origin': entry.originNhsNumber },
        ' recorded under NHS number ' + formatNhs(entry.originNhsNumber) + ', since merged into this one'));
    }
    return notes;
  }

  function medicationLine(m) {
    const by = m.lastIssuedBy || {};
    return [el('span', { class: 'medicine', 'data-medicine': m.medication }, m.medication),
      m.dose ? ', ' + m.dose : '', m.repeat ? el('span', { class: 'muted' }, ' (repeat)') : null,
      el('span', { class: 'muted', 'data-last-issued-by': by.odsCode || '' }, ' - last issued ', time(m.lastIssuedAt),
        ' by ', by.name || by.odsCode || 'unknown', by.kind ? ' (' + (KIND_NAMES[by.kind] || by.kind) + ')' : '',
        m.issues > 1 ? ', ' + m.issues + ' issues' : ''),
      m.code ? el('span', { class: 'code', title: m.code.system }, ' ' + m.code.code) : null];
  }

  function omitted(summary, list) {
    return (summary.omitted || {})[list] || 0;
  }

  function spellsView(spells, asOfMillis, left) {
    const box = el('section', { class: 'view', 'data-view': 'spells' }, el('h3', {}, 'Hospital spells'));
    if (!spells.length) {
      box.append(el('p', { class: 'muted' }, 'None'));
      return box;
    }
    const table = el('table', {}, el('thead', {}, el('tr', {},
      ['Admitted', 'Where', 'Transfers', 'Discharged', 'Length of stay'].map((h) => el('th', { scope: 'col' }, h)))));
    const body = el('tbody');
    for (const s of spells) {
      const end = s.dischargedAt ? new Date(s.dischargedAt).getTime() : asOfMillis;
      body.append(el('tr', { 'data-open': s.dischargedAt ? 'false' : 'true',
        'data-admission-seen': s.admissionSeen === false ? 'false' : 'true' },
        el('td', {}, s.admissionSeen === false ? ['first seen ', time(s.admittedAt),
          el('span', { class: 'muted' }, ' (admission not received)')] : time(s.admittedAt),
          s.patientClass ? el('span', { class: 'muted' }, ' ' + (CLASS_NAMES[s.patientClass] || s.patientClass)) : null),
        el('td', { 'data-location': '' }, where(s)),
        el('td', {}, String(s.transfers || 0)),
        el('td', {}, s.dischargedAt ? [time(s.dischargedAt), s.dischargeDestination ? ' to ' + s.dischargeDestination : '']
          : 'still in hospital'),
        el('td', {}, (s.admissionSeen === false ? 'at least ' : '') + duration(s.admittedAt, end))));
    }
    table.append(body);
    box.append(table);
    if (left) box.append(el('p', { class: 'muted', 'data-omitted': left }, 'and ' + left + ' earlier, not shown'));
    return box;
  }

  function listView(title, key, items, line, left) {
    const box = el('section', { class: 'view', 'data-view': key }, el('h3', {}, title));
    box.append(items.length ? el('ul', {}, items.map((item) => el('li', {}, line(item)))) : el('p', { class: 'muted' }, 'None'));
    if (left) box.append(el('p', { class: 'muted', 'data-omitted': left }, 'and ' + left + ' more, not shown'));
    return box;
  }

  function submitted(event) {
    event.preventDefault();
    const q = {
      nhs: digits($('nhs').value),
      types: Array.from($('types').selectedOptions).map((o) => o.value),
      from: $('from').value,
      to: $('to').value,
      asOf: $('asOf').value.trim(),
      history: $('history').checked,
      page: 0
    };
    window.history.pushState(null, '', address(q, 0));
    load(q, 0);
  }

  function tokenGiven(event) {
    event.preventDefault();
    window.sessionStorage.setItem(TOKEN_KEY, $('token').value.trim());
    $('token').value = '';
    load(readQuery(), 0);
  }

  function start() {
    const q = readQuery();
    fillForm(q);
    load(q, 0);
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('query').addEventListener('submit', submitted);
    $('auth').addEventListener('submit', tokenGiven);
    window.addEventListener('popstate', start);
    start();
  });
})();
