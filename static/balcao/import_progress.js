// Live progress of a background job on its change page (an import run, a privacy request): reads
// the job's progress URL every second. Queued (a waiting bar), running (the real %), finished, or
// failed with the reason; a null percent means "not counted yet".
"use strict";
{
    const box = document.getElementById("import-progress");
    if (box) {
        const bar = document.getElementById("import-progress-bar");
        const text = document.getElementById("import-progress-text");
        const summary = document.getElementById("import-summary");
        const refresh = () => {
            fetch(box.dataset.url, {credentials: "same-origin"}).then(r => r.json()).then(data => {
                box.dataset.status = data.status;
                const stopped = data.status !== "queued" && data.status !== "running";
                if (stopped) {
                    bar.value = data.percent === null ? (data.status === "failed" ? 0 : 100) : data.percent;  // no animation
                } else if (data.percent === null) {
                    bar.removeAttribute("value");  // indeterminate: waiting for a worker, or counting rows
                } else {
                    bar.value = data.percent;
                }
                const counts = Object.entries(data.progress).map(([k, p]) => `${p.label || k} ${p.done}/${p.total}`).join(", ");
                const percent = data.percent === null ? "" : ` — ${data.percent}%`;
                text.textContent = counts ? `${data.status_label}${percent} · ${counts}` : `${data.status_label}${percent}`;
                summary.textContent = data.error || data.summary_text || "";
                summary.classList.toggle("errornote", data.status === "failed");
                if (data.status === "queued" || data.status === "running") { setTimeout(refresh, 1000); }
            });
        };
        refresh();
    }
}
