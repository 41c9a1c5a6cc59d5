// The patient chart: demographics and weights, eligibility, course plan, sessions, scores and
// symptom areas, alerts and their resolution, maintenance and forecast, notes, self-report link.
import { html, useState } from './lib.js';
import { post, listOf } from './api.js';
import { useApi, Loaded, Section, Problem, AlertBanners, fmtTime, alertOf, isOpen } from './ui.js';
import { Scores, Forecast } from './scores.js';

const CLINICAL = ['nurse', 'prescriber', 'therapist'];

function Demographics({ p }) {
    const weights = listOf(p, 'weights');
    return html`<dl class="facts">
        <dt>MRN</dt><dd>${p.mrn}</dd><dt>Born</dt><dd>${p.birth_date}</dd><dt>Sex</dt><dd>${p.sex}</dd>
        <dt>Weight</dt><dd>${weights.length ? weights.map((w) => `${w.weight_kg} kg (${fmtTime(w.measured_at || w.recorded_at)})`).join('; ')
            : p.weight_kg ? `${p.weight_kg} kg` : 'no history on this server'}</dd>
    </dl>`;
}

function Eligibility({ pid }) {
    const s = useApi(`/api/v1/patients/${pid}/eligibility`);
    return html`<${Loaded} state=${s} what="eligibility">${(e) => html`<p>
        <strong>${e.eligible ? 'Eligible' : 'Not eligible'}</strong>${e.route ? ` for ${e.route}` : ''}.</p>
        <ul>${listOf(e, 'reasons').map((r, i) => html`<li key=${i}>${r.message || r.rule || String(r)}</li>`)}</ul>`}<//>`;
}

function Courses({ pid }) {
    const s = useApi(`/api/v1/patients/${pid}/courses`);
    return html`<${Loaded} state=${s} what="courses">${(d) => {
        const cs = listOf(d, 'courses');
        if (!cs.length) return html`<p>No course planned.</p>`;
        return html`<ul>${cs.map((c) => html`<li key=${c.id}>${c.protocol} (${c.drug}, ${c.route}), ${c.status}, from ${c.start_date}
            ${c.sessions_done !== undefined ? ` — session ${c.sessions_done} of ${c.sessions_planned}` : ''}</li>`)}</ul>`;
    }}<//>`;
}

function Sessions({ pid }) {
    const s = useApi(`/api/v1/patients/${pid}/sessions`);
    return html`<${Loaded} state=${s} what="sessions">${(d) => {
        const ss = listOf(d, 'sessions');
        if (!ss.length) return html`<p>No sessions.</p>`;
        return html`<table><thead><tr><th scope="col">#</th><th scope="col">Planned</th><th scope="col">Status</th>
            <th scope="col">Dose</th><th scope="col">Open</th></tr></thead><tbody>${ss.map((x) => html`<tr key=${x.id}>
            <td>${x.number}</td><td>${fmtTime(x.planned_at)}</td><td>${x.status}</td>
            <td>${x.administered_mg > 0 ? `${x.administered_mg} mg` : '—'}</td>
            <td><a href=${'#/session/' + x.id}>monitor</a></td></tr>`)}</tbody></table>`;
    }}<//>`;
}

function Alerts({ pid, me }) {
    const s = useApi(`/api/v1/patients/${pid}/alerts`);
    const [err, setErr] = useState(null);
    const act = (a, what) => post(`/api/v1/alerts/${a.id}/${what}`, {}).then(() => { setErr(null); s.reload(); }, setErr);
    return html`<${Loaded} state=${s} what="alerts">${(d) => html`<${AlertBanners} alerts=${listOf(d, 'alerts').filter(isOpen)} />
        ${me.role !== 'front_desk' && html`<ul class="actions">${listOf(d, 'alerts').filter(isOpen).map(alertOf).map((a) => html`
            <li key=${a.id}>Alert ${a.id} (${a.rule}):
                <button type="button" onClick=${() => act(a, 'acknowledge')}>Acknowledge</button>
                <button type="button" onClick=${() => act(a, 'resolve')}>Resolve</button>
                ${a.level === 'hold' && me.role === 'prescriber' && html`<button type="button" onClick=${() => act(a, 'lift-hold')}>Lift hold</button>`}
            </li>`)}</ul>`}
        <${Problem} error=${err} />`}<//>`;
}

/* Outcomes need a baseline and a later score of one instrument: asked for only then. */
function Outlook({ pid }) {
    const a = useApi(`/api/v1/patients/${pid}/assessments`);
    const counts = {};
    for (const x of a.data ? listOf(a.data, 'assessments') : []) counts[x.instrument] = (counts[x.instrument] || 0) + 1;
    const enough = (counts.phq9 || 0) >= 2; // the server's outcomes are PHQ-9 based
    const s = useApi(a.data && enough ? `/api/v1/patients/${pid}/outcomes` : null);
    if (a.error) return html`<${Problem} error=${a.error} />`;
    if (a.loading) return html`<p class="loading" aria-live="polite">Loading outcomes and forecast…</p>`;
    if (!enough) return html`<p>No outcomes yet: they need a baseline and a later PHQ-9 score.</p>`;
    return html`<${Loaded} state=${s} what="outcomes and forecast">${(o) => {
        const flags = listOf(o, 'flags').concat(listOf(o, 'alerts'));
        const m = o.maintenance || o.suggestion;
        return html`
        ${o.baseline && o.latest && html`<p>${o.instrument}: baseline ${o.baseline.total} (${o.baseline.date}), latest ${o.latest.total} (${o.latest.date})${o.percent_change !== undefined ? `, ${o.percent_change}%` : ''}${o.response ? '; response' : ''}${o.remission ? '; remission' : ''}${o.relapse && o.relapse.possible_relapse ? '; POSSIBLE RELAPSE' : ''}.</p>`}
        ${flags.length ? html`<ul>${flags.map((f, i) => html`<li key=${i}>${f.message || f.flag || String(f)}${f.rule ? ` (rule ${f.rule})` : ''}</li>`)}</ul>` : ''}
        <p>Maintenance suggestion: ${m ? (m.message || m.reason || JSON.stringify(m)) : 'none yet'}.</p>
        <${Forecast} forecast=${o.forecast} />`;
    }}<//>`;
}

function Notes({ pid, canAdd = true }) {
    const s = useApi(`/api/v1/patients/${pid}/notes`);
    const [body, setBody] = useState('');
    const [err, setErr] = useState(null);
    const add = (e) => {
        e.preventDefault();
        post(`/api/v1/patients/${pid}/notes`, { body }).then(() => { setBody(''); setErr(null); s.reload(); }, setErr);
    };
    return html`<${Loaded} state=${s} what="notes">${(d) => html`<ul class="notes">${listOf(d, 'notes').map((n) => html`
        <li key=${n.id}><span class="meta">${fmtTime(n.created_at)}</span> ${n.body}</li>`)}</ul>`}<//>
        ${canAdd && html`<form onSubmit=${add}><label for="note-body">New clinical note</label>
            <textarea id="note-body" rows="3" value=${body} onInput=${(e) => setBody(e.target.value)} required></textarea>
            <button type="submit">Add note</button><${Problem} error=${err} /></form>`}`;
}

function SelfReportLink({ pid }) {
    const [link, setLink] = useState(null);
    const [err, setErr] = useState(null);
    const send = () => post(`/api/v1/patients/${pid}/self-report-links`, { instrument: 'phq9' }).then((r) => {
        setErr(null);
        setLink(r.url || (r.token ? `${location.origin}/#/self-report/${r.token}` : null));
    }, setErr);
    return html`<button type="button" onClick=${send}>Create a PHQ-9 self-report link</button>
        ${link && html`<p>One-time link: <a class="self-report-link" href=${link}>${link}</a></p>`}<${Problem} error=${err} />`;
}

export function Chart({ id: pid, me }) {
    const p = useApi(`/api/v1/patients/${pid}`);
    const clinical = CLINICAL.includes(me.role);
    return html`<h1 tabindex="-1">${p.data ? `${p.data.given_name} ${p.data.family_name}` : `Patient ${pid}`}</h1>
        <${Loaded} state=${p} what="the patient">${(pt) => html`
        <p class="links">
            ${me.role === 'therapist' && html`<a href=${`#/patient/${pid}/integration-notes`}>Integration notes</a>`}
            ${['nurse', 'prescriber'].includes(me.role) && html` <a href=${`#/planner?patient=${pid}`}>Dose planner</a>`}
        </p>
        <${Section} title="Demographics" id="h-demo"><${Demographics} p=${pt} /><//>
        ${clinical && html`
        <${Section} title="Alerts" id="h-alerts"><${Alerts} pid=${pid} me=${me} /><//>
        <${Section} title="Scores" id="h-scores"><${Scores} pid=${pid} /><//>
        <${Section} title="Maintenance and forecast" id="h-forecast"><${Outlook} pid=${pid} /><//>
        <${Section} title="Eligibility" id="h-elig"><${Eligibility} pid=${pid} /><//>
        <${Section} title="Course" id="h-course"><${Courses} pid=${pid} /><//>
        ${['nurse', 'prescriber'].includes(me.role) && html`<${Section} title="Sessions" id="h-sessions"><${Sessions} pid=${pid} /><//>`}
        <${Section} title="Self-report" id="h-selfreport"><${SelfReportLink} pid=${pid} /><//>
        <${Section} title="Clinical notes" id="h-notes"><${Notes} pid=${pid} /><//>`}
`}<//>`;
}
