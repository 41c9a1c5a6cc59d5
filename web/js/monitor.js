// The in-session monitor: the session and its plan, start, vitals entry and flowsheet, the
// patient's alerts and holds (the rule that fired and what to do), the REMS clock for
// esketamine, predicted curves beside the recorded values, adverse events, discharge.
import { html, useState, useEffect } from './lib.js';
import { post, listOf } from './api.js';
import { useApi, Loaded, Section, Problem, AlertBanners, Field, fmtTime, isOpen } from './ui.js';
import { VitalsForm } from './vitals.js';
import { Predicted } from './predicted.js';

/* Whole years from a birth date (YYYY-MM-DD) to a day. */
function ageOn(birth, day) {
    if (!birth) return null;
    const [y, m, d] = birth.split('-').map(Number);
    const mm = day.getUTCMonth() + 1;
    return day.getUTCFullYear() - y - (mm < m || (mm === m && day.getUTCDate() < d) ? 1 : 0);
}

function RemsClock({ session, minMin }) {
    const [now, setNow] = useState(Date.now());
    useEffect(() => { const t = setInterval(() => setNow(Date.now()), 30000); return () => clearInterval(t); }, []);
    const from = session.dosed_at || session.started_at;
    if (!from) return html`<p>REMS clock: starts at the first device.</p>`;
    const elapsed = Math.floor((now - Date.parse(from)) / 60000);
    const left = minMin - elapsed;
    return html`<p class=${'rems-clock' + (left > 0 ? ' running' : ' done')} role="timer" aria-live="off">
        REMS observation: ${elapsed} min since dosing; ${left > 0 ? `${left} min left of the ${minMin} required` : `the ${minMin} minutes are complete`}.</p>`;
}

function Flowsheet({ rows }) {
    if (!rows.length) return html`<p>No vitals recorded yet.</p>`;
    return html`<table class="flowsheet"><caption>Vital signs recorded</caption><thead><tr>
        <th scope="col">Time</th><th scope="col">BP</th><th scope="col">HR</th><th scope="col">SpO₂</th>
        <th scope="col">RR</th><th scope="col">MOAA/S</th><th scope="col">CADSS</th></tr></thead>
        <tbody>${rows.map((v) => html`<tr key=${v.id}><td>${fmtTime(v.measured_at)}</td>
            <td>${v.systolic_mmhg}/${v.diastolic_mmhg}</td><td>${v.heart_rate_bpm ?? '—'}</td><td>${v.spo2_percent ?? '—'}</td>
            <td>${v.resp_rate_per_min ?? '—'}</td><td>${v.sedation_moaas ?? '—'}</td><td>${v.dissociation_cadss ?? '—'}</td></tr>`)}</tbody></table>`;
}

function Events({ sid }) {
    const [text, setText] = useState('');
    const [err, setErr] = useState(null);
    const [done, setDone] = useState(null);
    const add = (e) => {
        e.preventDefault();
        post(`/api/v1/sessions/${sid}/events`, { kind: 'adverse_event', description: text })
            .then((r) => { setErr(null); setDone(r); setText(''); }, setErr);
    };
    return html`<form class="inline" onSubmit=${add}>
        <${Field} id="event-text" label="Adverse event (what happened)" value=${text} required onInput=${(e) => setText(e.target.value)} />
        <button type="submit">Record event</button></form><${Problem} error=${err} />
        ${done && html`<p role="status">Event recorded.</p>`}`;
}

function Discharge({ sid, version }) {
    const s = useApi(`/api/v1/sessions/${sid}/discharge`);
    useEffect(() => { if (version) s.reload(); }, [version]);
    const [err, setErr] = useState(null);
    const [ok, setOk] = useState(null);
    const go = () => post(`/api/v1/sessions/${sid}/discharge`, {}).then((r) => { setErr(null); setOk(r); s.reload(); }, setErr);
    // 409: the server cannot assess discharge yet (dosing not over, ...): its reason is the blocker
    const early = s.error && s.error.status === 409;
    const state = early ? { data: { discharge_allowed: false, blocks: [{ message: s.error.message }] }, error: null, loading: false } : s;
    return html`<${Loaded} state=${state} what="the discharge checklist">${(d) => {
        const allowed = d.discharge_allowed ?? d.can_discharge ?? false;
        const checks = listOf(d, 'checklist').length ? listOf(d, 'checklist') : listOf(d, 'checks');
        const blocks = listOf(d, 'blocks').length ? listOf(d, 'blocks') : listOf(d, 'blockers');
        return html`<ul class="checklist">${checks.map((c, i) => {
            const ok = c.met ?? c.ok;
            return html`<li key=${i} class=${ok ? 'ok' : 'no'}>${ok ? '✔' : '✘'} ${c.detail || c.message || c.item || c.name}${c.rule ? ` (rule ${c.rule})` : ''}</li>`;
        })}</ul>
            ${blocks.map((b, i) => html`<p key=${i} class="blocker">${typeof b === 'string' ? b : b.message || b.detail || b.rule || JSON.stringify(b)}</p>`)}
            <button type="button" onClick=${go} disabled=${!allowed} aria-describedby="discharge-why">Discharge</button>
            <p id="discharge-why">${allowed ? 'Ready for discharge.' : 'Discharge is not allowed yet: resolve what is listed above.'}</p>
            <${Problem} error=${err} />${ok && html`<p role="status">Discharged.</p>`}`;
    }}<//>`;
}

export function Monitor({ id: sid, me }) {
    const sess = useApi(`/api/v1/sessions/${sid}`);
    const vit = useApi(`/api/v1/sessions/${sid}/vitals`);
    const policy = useApi('/api/v1/policy');
    const session = sess.data;
    const pid = session && session.patient_id;
    const alerts = useApi(pid ? `/api/v1/patients/${pid}/alerts` : null);
    const [version, setVersion] = useState(0);
    const [startErr, setStartErr] = useState(null);
    const recorded = () => { vit.reload(); if (pid) alerts.reload(); setVersion((x) => x + 1); };
    const [lot, setLot] = useState('');
    const start = (e) => { e.preventDefault(); post(`/api/v1/sessions/${sid}/start`, { lot_number: lot }).then(() => { setStartErr(null); sess.reload(); setVersion((x) => x + 1); }, setStartErr); };
    const pat = useApi(pid ? `/api/v1/patients/${pid}` : null);
    const age = pat.data && ageOn(pat.data.birth_date, new Date());
    const pol = policy.data && (policy.data.policy || policy.data);
    const remsMin = (pol && pol.rems && pol.rems.min_monitoring_min) || 120;
    const rows = vit.data ? listOf(vit.data, 'vitals') : [];
    const esk = session && session.drug === 'esketamine';
    return html`<h1 tabindex="-1">Session ${sid}${session && session.patient_name ? ` — ${session.patient_name}` : ''}</h1>
        <${Section} title="Session" id="h-session">
            <${Loaded} state=${sess} what="the session">${(s) => html`<dl class="facts">
                <dt>Status</dt><dd>${s.status}</dd><dt>Planned</dt><dd>${fmtTime(s.planned_at)}</dd>
                <dt>Drug and route</dt><dd>${s.drug || '—'} ${s.route || ''}</dd>
                <dt>Dose</dt><dd>${s.planned_mg || (s.order && s.order.dose_mg) ? `${s.planned_mg || s.order.dose_mg} mg ordered` : ''} ${s.administered_mg > 0 ? `${s.administered_mg} mg given` : ''}
                    ${s.pump && s.pump.rate_ml_per_h ? ` — pump ${s.pump.rate_ml_per_h} mL/h` : s.pump_ml_per_h ? ` — pump ${s.pump_ml_per_h} mL/h` : ''}</dd>
                <dt>Patient</dt><dd>${s.patient_id ? html`<a href=${'#/patient/' + s.patient_id}>chart</a>` : '—'}</dd></dl>
                ${s.status === 'planned' && ['nurse', 'prescriber'].includes(me.role) && html`<form class="inline" onSubmit=${start}>
                    <${Field} id="start-lot" label="Lot number" value=${lot} required autocomplete="off" onInput=${(e) => setLot(e.target.value.trim())} />
                    <button type="submit">Start session (dose from today's weight)</button></form>`}
                <${Problem} error=${startErr} />`}<//>
            ${esk && html`<${RemsClock} session=${session} minMin=${remsMin} /> <a href=${`#/session/${sid}/rems`}>REMS form</a>`}
        <//>
        <${Section} title="Alerts and holds" id="h-alerts">
            ${pid ? html`<${Loaded} state=${alerts} what="alerts">${(d) => html`<${AlertBanners} alerts=${listOf(d, 'alerts').filter(isOpen)} />`}<//>`
        : html`<p class="unavailable">Alerts show here once the session's patient is known.</p>`}
        <//>
        <${Section} title="Record vitals" id="h-vitals">
            <${VitalsForm} sid=${sid} nextDue=${session && session.next_bp_due} onRecorded=${recorded} />
        <//>
        <${Section} title="Flowsheet" id="h-flow"><${Loaded} state=${vit} what="vitals">${() => html`<${Flowsheet} rows=${rows} />`}<//><//>
        <${Section} title="Predicted and recorded" id="h-pred">
            ${!sess.loading && !vit.loading && !(pid && pat.loading) && html`<${Predicted} session=${session} ageY=${age} vitals=${rows} />`}<//>
        <${Section} title="Adverse events" id="h-events"><${Events} sid=${sid} /><//>
        <${Section} title="Discharge" id="h-discharge"><${Discharge} sid=${sid} version=${version} /><//>`;
}
