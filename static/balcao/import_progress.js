// Live progress of a background job on its change page (an import run, a privacy request): reads
// the job's progress URL every second.
"use strict";
{
    const box = document.getElementById("import-progress");
    if (box) {
        const bar = document.getElementById("import-progress-bar");
        const text = document.getElementById("import-progress-text");
        const summary = document.getElementById("import-summary");
        const refresh = () => {
            fetch(box.dataset.url, {credentials: "same-origin"}).then(r => r.json()).then(data => {
                bar.value = data.percent;
                const counts = Object.entries(data.progress).map(([k, p]) => `${k} ${p.done}/${p.total}`).join(", ");
                text.textContent = `${data.status_label} — ${data.percent}% ${counts}`;
                summary.textContent = data.summary_text || data.error || "";
                if (data.status === "queued" || data.status === "running") { setTimeout(refresh, 1000); }
            });
        };
        refresh();
    }
}
