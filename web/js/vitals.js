// Vitals entry in a few keystrokes: the cursor starts in systolic, Tab moves on, Enter records.
// The answer's alerts (which policy rule fired, what to do) show at once above the form.
import { html, useState, useRef, useEffect } from './lib.js';
import { post } from './api.js';
import { Field, Problem, AlertBanners, fmtTime } from './ui.js';

const FIELDS = [
    ['systolic_mmhg', 'Systolic BP (mmHg)', 50, 300],
    ['diastolic_mmhg', 'Diastolic BP (mmHg)', 20, 200],
    ['heart_rate_bpm', 'Heart rate (beats/min)', 20, 250],
    ['spo2_percent', 'SpO₂ (%)', 50, 100],
    ['resp_rate_per_min', 'Respiratory rate (/min)', 2, 80],
    ['sedation_moaas', 'Sedation, MOAA/S (0–5)', 0, 5],
    ['dissociation_cadss', 'Dissociation, CADSS (0–92)', 0, 92],
];
const empty = () => Object.fromEntries(FIELDS.map(([k]) => [k, '']));

export function VitalsForm({ sid, nextDue, onRecorded }) {
    const [v, setV] = useState(empty());
    const [err, setErr] = useState(null);
    const [answer, setAnswer] = useState(null);
    const [busy, setBusy] = useState(false);
    const first = useRef(null);
    useEffect(() => { if (first.current) first.current.focus(); }, []);
    const invalid = (k, lo, hi) => v[k] !== '' && !(Number(v[k]) >= lo && Number(v[k]) <= hi && /^\d+$/.test(v[k]));
    const submit = (e) => {
        e.preventDefault();
        const body = { measured_at: new Date().toISOString() };
        for (const [k, label, lo, hi] of FIELDS) {
            if (v[k] === '') continue;
            if (invalid(k, lo, hi)) { setErr({ message: `${label}: expected a whole number from ${lo} to ${hi}, got “${v[k]}”.` }); return; }
            body[k] = Number(v[k]);
        }
        if (body.systolic_mmhg === undefined || body.diastolic_mmhg === undefined) {
            setErr({ message: 'Systolic and diastolic blood pressure are needed for a reading.' });
            return;
        }
        setBusy(true);
        post(`/api/v1/sessions/${sid}/vitals`, body).then((a) => {
            setBusy(false); setErr(null); setAnswer(a); setV(empty());
            if (first.current) first.current.focus();
            onRecorded(a);
        }, (e2) => { setBusy(false); setErr(e2); });
    };
    const due = (answer && answer.next_bp_due) || nextDue;
    return html`<form class="vitals" onSubmit=${submit} aria-describedby="vitals-due">
        <p id="vitals-due" class="due">${due ? `Next reading due at ${fmtTime(due)}.` : 'Enter the reading now; it is timed when recorded.'}</p>
        <div class="grid">${FIELDS.map(([k, label, lo, hi], i) => html`<${Field} key=${k} id=${'v-' + k} label=${label}
            inputmode="numeric" autocomplete="off" value=${v[k]} invalid=${invalid(k, lo, hi)}
            inputRef=${i === 0 ? first : undefined} hint=${`${lo}–${hi}`}
            onInput=${(e) => setV({ ...v, [k]: e.target.value.trim() })} />`)}</div>
        <button type="submit" disabled=${busy}>${busy ? 'Recording…' : 'Record vitals'}</button>
        <${Problem} error=${err} />
        ${answer && answer.alerts && html`<${AlertBanners} alerts=${answer.alerts} />`}
        ${answer && html`<p class="ok" role="status">Reading ${answer.id || ''} recorded.</p>`}
    </form>`;
}
