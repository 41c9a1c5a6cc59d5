// uPlot in a preact component, and a plug-in that draws severity bands behind a line and
// threshold lines over it. Each plot has a caption saying what it shows (for screen readers).
import { html, useEffect, useRef } from './lib.js';
import uPlot from '../vendor/uPlot.esm.js';

const bandFill = ['#e3f2e1', '#f5f1d0', '#f8e2c4', '#f5cfc4', '#eebcbc', '#e3a9a9'];

/* bands: [{min, max, name}] in y units; lines: [{y, label, color}]. */
export function bandsPlugin(bands = [], lines = []) {
    return {
        hooks: {
            drawClear: (u) => {
                const { ctx } = u;
                const { left, top, width, height } = u.bbox;
                ctx.save();
                bands.forEach((b, i) => {
                    const y0 = u.valToPos(b.max + 0.5, 'y', true);
                    const y1 = u.valToPos(b.min - 0.5, 'y', true);
                    const ya = Math.max(top, Math.min(y0, y1)), yb = Math.min(top + height, Math.max(y0, y1));
                    if (yb <= ya) return;
                    ctx.fillStyle = bandFill[i % bandFill.length];
                    ctx.fillRect(left, ya, width, yb - ya);
                    ctx.fillStyle = '#333';
                    ctx.font = `${11 * devicePixelRatio}px sans-serif`;
                    ctx.fillText(b.name.replace(/_/g, ' '), left + 4, yb - 3 * devicePixelRatio);
                });
                ctx.restore();
            },
            draw: (u) => {
                const { ctx } = u;
                const { left, width } = u.bbox;
                ctx.save();
                for (const l of lines) {
                    const y = u.valToPos(l.y, 'y', true);
                    ctx.strokeStyle = l.color || '#000';
                    ctx.setLineDash([6, 4]);
                    ctx.lineWidth = devicePixelRatio;
                    ctx.beginPath();
                    ctx.moveTo(left, y);
                    ctx.lineTo(left + width, y);
                    ctx.stroke();
                    ctx.fillStyle = l.color || '#000';
                    ctx.font = `${11 * devicePixelRatio}px sans-serif`;
                    ctx.fillText(l.label, left + width - ctx.measureText(l.label).width - 4, y - 3);
                }
                ctx.restore();
            },
        },
    };
}

/* A uPlot chart. opts: uPlot options without width; data: uPlot data; caption: what it shows. */
export function Plot({ opts, data, caption, testid }) {
    const box = useRef(null);
    useEffect(() => {
        const el = box.current;
        const width = Math.max(280, Math.min(720, (el.parentElement || el).clientWidth || 640));
        const u = new uPlot({ height: 240, ...opts, width }, data, el);
        return () => u.destroy();
    }, [opts, data]);
    return html`<figure class="plot" data-testid=${testid}>
        <div ref=${box}></div>
        <figcaption>${caption}</figcaption>
    </figure>`;
}

/* Seconds since the epoch from an ISO time (uPlot's time axis). */
export const epochS = (iso) => Date.parse(iso) / 1000;
