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
      response = await fetch(apiUrl(q), { headers });
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
    if (response.status === 404) {
      if (body.mergedInto) {
        setState('empty', 'NHS number ' + formatNhs(q.nhs) + ' has been merged into ' + formatNhs(body.mergedInto) + '. ');
        $('status').append(el('a', { href: address({ ...q, nhs: body.mergedInto }, 0) },
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
        'Deceased', summary.diedAt ? [' on ', time(summary.diedAt)] : []));
    }
    for (const late of summary.activityAfterDeath || []) {
      alerts.append(el('p', { class: 'alert warning', 'data-fact': 'after-death' }, 'Activity after death: ', late));
    }
    const open = (summary.spells || []).filter((s) => !s.dischargedAt);
    for (const spell of open) {
      alerts.append(el('p', { class: 'alert in-hospital', 'data-fact': 'in-hospital' },
        'In hospital now: ', spell.site || spell.odsCode, spell.currentWard ? ', ward ' + spell.currentWard : '',
        ', since ', time(spell.admittedAt), ' (', duration(spell.admittedAt, asOfMillis), ')'));
    }

    const facts = $('facts');
    facts.replaceChildren();
    const fact = (name, key, ...value) => facts.append(el('dt', {}, name), el('dd', { 'data-fact': key }, ...value));
    fact('Registered GP practice', 'practice', summary.registeredPracticeOdsCode
      ? (summary.registeredPracticeName || summary.registeredPracticeOdsCode) + ' (' + summary.registeredPracticeOdsCode + ')'
      : 'not known');
    fact('Care from', 'kinds', (summary.providerKinds || []).map((k) => el('span', { class: 'kind kind-' + k }, KIND_NAMES[k] || k)));
    fact('A&E attendances', 'attendances', String(summary.attendances || 0));
    fact('Entries', 'entries', (summary.currentEntries || 0) + ' current'
      + (summary.withdrawnEntries ? ', ' + summary.withdrawnEntries + ' withdrawn' : ''));

    const views = $('views');
    views.replaceChildren();
    views.append(spellsView(summary.spells || [], asOfMillis));
    views.append(listView('Open referrals', 'open-referrals', summary.openReferrals || [],
      (r) => [r.summary, el('span', { class: 'wait', 'data-waiting-days': r.waitingDays },
        ' (waiting ' + duration(r.occurredAt, asOfMillis) + ')')]));
    views.append(listView('Current prescriptions', 'prescriptions', summary.currentPrescriptions || [],
      (p) => [p.summary, el('span', { class: 'muted' }, ' (', time(p.occurredAt), ')')]));

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
        el('td', { class: 'what' }, entry.summary || ''),
        el('td', { title: 'version ' + entry.version }, withdrawn ? 'withdrawn' : (entry.version > 1 ? 'updated' : ''))));
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

  function spellsView(spells, asOfMillis) {
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
      body.append(el('tr', { 'data-open': s.dischargedAt ? 'false' : 'true' },
        el('td', {}, time(s.admittedAt)),
        el('td', {}, (s.site || s.odsCode) + (s.currentWard ? ', ' + s.currentWard : '')),
        el('td', {}, String(s.transfers || 0)),
        el('td', {}, s.dischargedAt ? [time(s.dischargedAt), s.dischargeDestination ? ' to ' + s.dischargeDestination : '']
          : 'still in hospital'),
        el('td', {}, duration(s.admittedAt, end))));
    }
    table.append(body);
    box.append(table);
    return box;
  }

  function listView(title, key, items, line) {
    const box = el('section', { class: 'view', 'data-view': key }, el('h3', {}, title));
    box.append(items.length ? el('ul', {}, items.map((item) => el('li', {}, line(item)))) : el('p', { class: 'muted' }, 'None'));
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
