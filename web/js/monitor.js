// The in-session monitor: the session and its plan, start, vitals entry and flowsheet, the
// patient's alerts and holds (the rule that fired and what to do), the REMS clock for
// esketamine, predicted curves beside the recorded values, adverse events, discharge.
import { html, useState, useEffect } from './lib.js';
import { post, listOf } from './api.js';
import { useApi, Loaded, Section, Problem, AlertBanners, Field, fmtTime } from './ui.js';
import { VitalsForm } from './vitals.js';
import { Predicted } from './predicted.js';

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
    return html`<${Loaded} state=${s} what="the discharge checklist">${(d) => {
        const allowed = d.discharge_allowed ?? d.can_discharge ?? false;
        return html`<ul class="checklist">${listOf(d, 'checks').map((c, i) => html`<li key=${i} class=${c.ok ? 'ok' : 'no'}>
                ${c.ok ? '✔' : '✘'} ${c.message || c.name}</li>`)}</ul>
            ${listOf(d, 'blockers').map((b, i) => html`<p key=${i} class="blocker">${b.message || b.rule || String(b)}</p>`)}
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
    const start = () => post(`/api/v1/sessions/${sid}/start`, {}).then(() => { setStartErr(null); sess.reload(); }, setStartErr);
    const pol = policy.data && (policy.data.policy || policy.data);
    const remsMin = (pol && pol.rems && pol.rems.min_monitoring_min) || 120;
    const rows = vit.data ? listOf(vit.data, 'vitals') : [];
    const esk = session && session.drug === 'esketamine';
    return html`<h1 tabindex="-1">Session ${sid}${session && session.patient_name ? ` — ${session.patient_name}` : ''}</h1>
        <${Section} title="Session" id="h-session">
            <${Loaded} state=${sess} what="the session">${(s) => html`<dl class="facts">
                <dt>Status</dt><dd>${s.status}</dd><dt>Planned</dt><dd>${fmtTime(s.planned_at)}</dd>
                <dt>Drug and route</dt><dd>${s.drug || '—'} ${s.route || ''}</dd>
                <dt>Dose</dt><dd>${s.planned_mg ? `${s.planned_mg} mg planned` : ''} ${s.administered_mg > 0 ? `${s.administered_mg} mg given` : ''}
                    ${s.pump_ml_per_h ? ` — pump ${s.pump_ml_per_h} mL/h` : ''}</dd>
                <dt>Patient</dt><dd>${s.patient_id ? html`<a href=${'#/patient/' + s.patient_id}>chart</a>` : '—'}</dd></dl>
                ${s.status === 'planned' && ['nurse', 'prescriber'].includes(me.role) && html`<button type="button" onClick=${start}>Start session (dose from today's weight)</button>`}
                <${Problem} error=${startErr} />`}<//>
            ${esk && html`<${RemsClock} session=${session} minMin=${remsMin} /> <a href=${`#/session/${sid}/rems`}>REMS form</a>`}
        <//>
        <${Section} title="Alerts and holds" id="h-alerts">
            ${pid ? html`<${Loaded} state=${alerts} what="alerts">${(d) => html`<${AlertBanners} alerts=${listOf(d, 'alerts').filter((a) => a.status !== 'resolved')} />`}<//>`
        : html`<p class="unavailable">Alerts show here once the session's patient is known.</p>`}
        <//>
        <${Section} title="Record vitals" id="h-vitals">
            <${VitalsForm} sid=${sid} nextDue=${session && session.next_bp_due} onRecorded=${recorded} />
        <//>
        <${Section} title="Flowsheet" id="h-flow"><${Loaded} state=${vit} what="vitals">${() => html`<${Flowsheet} rows=${rows} />`}<//><//>
        <${Section} title="Predicted and recorded" id="h-pred">
            ${!sess.loading && !vit.loading && html`<${Predicted} session=${session} vitals=${rows} />`}<//>
        <${Section} title="Adverse events" id="h-events"><${Events} sid=${sid} /><//>
        <${Section} title="Discharge" id="h-discharge"><${Discharge} sid=${sid} version=${version} /><//>`;
}
