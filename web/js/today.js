// Today: the site's schedule, its open alerts, REMS forms due and check-ins waiting. Each
// block loads on its own, so one missing route does not hide the others.
import { html, useState } from './lib.js';
import { listOf } from './api.js';
import { useApi, Loaded, Section, AlertBanners, Field, fmtTime, today, hasRole, isOpen } from './ui.js';

const who = (x) => (x.patient ? who(x.patient) : '') || x.patient_name || [x.given_name, x.family_name].filter(Boolean).join(' ') ||
    (x.patient_id ? `patient ${x.patient_id}` : '');
const pidOf = (x) => x.patient_id || (x.patient && x.patient.id);

function Schedule({ date }) {
    const state = useApi(`/api/v1/schedule?date=${date}`);
    return html`<${Loaded} state=${state} what="the schedule">${(d) => {
        const items = ['sessions', 'items', 'schedule'].map((k) => listOf(d, k)).find((l) => l.length) || [];
        if (items.length === 0) return html`<p>Nothing scheduled on ${date}.</p>`;
        return html`<table><thead><tr><th scope="col">Time</th><th scope="col">What</th>
            <th scope="col">Patient</th><th scope="col">Status</th><th scope="col">Open</th></tr></thead>
            <tbody>${items.map((x, i) => html`<tr key=${i}>
                <td>${fmtTime(x.at || x.planned_at || x.time)}</td><td>${x.kind || x.type || [x.drug, x.route, x.number && `session ${x.number} of the course`].filter(Boolean).join(' ')}</td>
                <td>${pidOf(x) ? html`<a href=${'#/patient/' + pidOf(x)}>${who(x)}</a>` : who(x)}</td>
                <td>${x.status || ''}</td>
                <td>${x.session_id ? html`<a href=${'#/session/' + x.session_id}>session ${x.session_id}</a>` : ''}</td>
            </tr>`)}</tbody></table>`;
    }}<//>`;
}

function OpenAlerts() {
    const state = useApi('/api/v1/alerts');
    return html`<${Loaded} state=${state} what="open alerts">${(d) => html`<${AlertBanners} alerts=${listOf(d, 'alerts').filter(isOpen)} />`}<//>`;
}

function RemsDue() {
    const state = useApi('/api/v1/rems-forms');
    return html`<${Loaded} state=${state} what="REMS forms">${(d) => {
        const due = listOf(d, 'rems_forms').length ? listOf(d, 'rems_forms') : listOf(d, 'forms');
        const open = due.filter((f) => (f.form_status || f.status) !== 'finalized');
        if (open.length === 0) return html`<p>No REMS forms due.</p>`;
        return html`<ul>${open.map((f, i) => html`<li key=${i}>
            <a href=${'#/session/' + f.session_id + '/rems'}>Session ${f.session_id}</a>${f.patient ? ` (${who(f.patient)})` : ''}: due ${f.due_date || f.due_at || '—'}${f.overdue ? ' — OVERDUE' : ''}</li>`)}</ul>`;
    }}<//>`;
}

export function Today({ me }) {
    const [date, setDate] = useState(today());
    const [sid, setSid] = useState('');
    const open = (e) => { e.preventDefault(); if (/^\d+$/.test(sid)) location.hash = '#/session/' + sid; };
    return html`<h1 tabindex="-1">Today</h1>
        <div class="row">
            <${Field} label="Date" type="date" id="today-date" value=${date} onInput=${(e) => e.target.value && setDate(e.target.value)} />
            <form class="inline" onSubmit=${open}>
                <${Field} label="Open session number" id="open-session" inputmode="numeric" pattern="[0-9]+"
                    value=${sid} onInput=${(e) => setSid(e.target.value.trim())} />
                <button type="submit">Open session</button>
            </form>
        </div>
        ${hasRole(me, 'front_desk', 'nurse', 'prescriber') && html`<${Section} title="Schedule" id="h-schedule"><${Schedule} date=${date} /><//>`}
        ${hasRole(me, 'nurse', 'prescriber', 'therapist') && html`<${Section} title="Open alerts" id="h-alerts"><${OpenAlerts} /><//>`}
        ${hasRole(me, 'nurse', 'prescriber') && html`<${Section} title="REMS forms due" id="h-rems"><${RemsDue} /><//>`}
        <${Section} title="Check-ins waiting" id="h-checkins">
            <p>Self-report check-ins appear in the schedule and as alerts when they need review.</p>
        <//>`;
}
