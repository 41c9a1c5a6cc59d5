// The Spravato REMS monitoring form: filled from the session, required fields that are
// missing highlighted, its 7-day deadline shown, printable (the print style sheet hides the rest).
import { html, useState } from './lib.js';
import { post, listOf } from './api.js';
import { useApi, Loaded, Problem, fmtTime } from './ui.js';

/* The form is for esketamine sessions only: the session is read first. */
export function RemsForm({ id: sid }) {
    const sess = useApi(`/api/v1/sessions/${sid}`);
    const esk = sess.data && sess.data.drug === 'esketamine';
    if (sess.data && !esk)
        return html`<h1 tabindex="-1">REMS monitoring form, session ${sid}</h1>
            <p>No REMS form: session ${sid} is ${sess.data.drug || 'not'} ${sess.data.route || ''}, not esketamine. <a href=${'#/session/' + sid}>Back to the session</a></p>`;
    if (!sess.data)
        return html`<h1 tabindex="-1">REMS monitoring form, session ${sid}</h1><${Loaded} state=${sess} what="the session">${() => ''}<//>`;
    return html`<${RemsFormOf} sid=${sid} />`;
}

function RemsFormOf({ sid }) {
    const s = useApi(`/api/v1/sessions/${sid}/rems-form`);
    const [err, setErr] = useState(null);
    const [done, setDone] = useState(null);
    const finalize = () => post(`/api/v1/sessions/${sid}/rems-form/finalize`, {}).then((r) => { setErr(null); setDone(r); s.reload(); }, setErr);
    return html`<h1 tabindex="-1">REMS monitoring form, session ${sid}</h1>
        <${Loaded} state=${s} what="the REMS form">${(f) => {
            const fields = f.fields || flatten(f.form || {});
            const missing = new Set(listOf(f, 'missing').map((m) => (typeof m === 'string' ? m : m.field)));
            return html`<p class="deadline">Due by ${f.due_date || f.deadline || '—'} (7 days after the session). Status: ${f.status || 'draft'}.</p>
                ${missing.size > 0 && html`<p class="error" role="alert">${missing.size} required field(s) missing: ${[...missing].join(', ')}.</p>`}
                <dl class="facts rems">${Object.keys(fields).concat([...missing].filter((m) => !(m in fields))).map((k) => html`
                    <dt class=${missing.has(k) ? 'missing' : ''}>${k.replace(/_/g, ' ')}</dt>
                    <dd class=${missing.has(k) ? 'missing' : ''}>${missing.has(k) ? 'MISSING' : String(fields[k])}</dd>`)}</dl>
                <div class="noprint"><button type="button" onClick=${() => print()}>Print</button>
                    <button type="button" disabled=${missing.size > 0} onClick=${finalize}>Finalize</button></div>
                <${Problem} error=${err} />${done && html`<p role="status">Finalized.</p>`}`;
        }}<//>`;
}

export function RemsList() {
    const s = useApi('/api/v1/rems-forms');
    return html`<h1 tabindex="-1">REMS forms</h1><${Loaded} state=${s} what="REMS forms">${(d) => {
        const fs = listOf(d, 'rems_forms').length ? listOf(d, 'rems_forms') : listOf(d, 'forms');
        if (!fs.length) return html`<p>No REMS forms.</p>`;
        return html`<table><thead><tr><th scope="col">Session</th><th scope="col">Status</th><th scope="col">Due</th></tr></thead>
            <tbody>${fs.map((f, i) => html`<tr key=${i}><td><a href=${'#/session/' + f.session_id + '/rems'}>${f.session_id}</a></td>
            <td>${f.form_status || f.status}</td><td>${f.due_date || fmtTime(f.due_at)}</td></tr>`)}</tbody></table>`;
    }}<//>`;
}

/* {"a": {"b": 1}} as {"a.b": 1}: the nested form's fields in one list. */
function flatten(o, prefix = '', out = {}) {
    for (const [k, v] of Object.entries(o)) {
        if (v && typeof v === 'object' && !Array.isArray(v)) flatten(v, prefix + k + '.', out);
        else out[prefix + k] = Array.isArray(v) ? v.join(', ') : v;
    }
    return out;
}
