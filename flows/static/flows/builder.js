// The flow builder page: drag to reorder rows (the "ordem" fields follow), insert a variable into
// a message's text, and the preview's links. No inline script: the Content-Security-Policy refuses it.
"use strict";
{
    let dragged = null;

    function renumber(container) {
        let n = 1;
        for (const row of container.children) {
            const input = row.querySelector("input.builder-order");
            if (input && row.hasAttribute("data-row")) {
                input.value = n;
                n += 1;
            }
        }
    }

    // Rows move by their handle only: typing and selecting text in a row stays normal.
    document.addEventListener("mousedown", (event) => {
        const handle = event.target.closest && event.target.closest(".builder-handle");
        if (handle) handle.closest("[data-row]").setAttribute("draggable", "true");
    });
    document.addEventListener("mouseup", () => {
        for (const row of document.querySelectorAll("[data-row][draggable]")) row.removeAttribute("draggable");
    });

    document.addEventListener("dragstart", (event) => {
        const row = event.target.closest && event.target.closest("[data-row][draggable=true]");
        if (!row) return;
        dragged = row;
        row.classList.add("dragging");
        event.dataTransfer.effectAllowed = "move";
        event.stopPropagation();
    });
    document.addEventListener("dragend", () => {
        if (dragged) {
            dragged.classList.remove("dragging");
            dragged.removeAttribute("draggable");
        }
        dragged = null;
    });
    document.addEventListener("dragover", (event) => {
        if (!dragged) return;
        const container = dragged.parentElement;
        const over = event.target.closest && event.target.closest("[data-row]");
        if (!over || over === dragged || over.parentElement !== container) return;
        event.preventDefault();
        const box = over.getBoundingClientRect();
        const after = event.clientY > box.top + box.height / 2;
        container.insertBefore(dragged, after ? over.nextSibling : over);
    });
    document.addEventListener("drop", (event) => {
        if (!dragged) return;
        event.preventDefault();
        renumber(dragged.parentElement);
    });

    // The variable picker: insert {{ name }} at the cursor of the message's text.
    document.addEventListener("change", (event) => {
        const select = event.target;
        if (!select.matches || !select.matches("select[data-insert-into]") || !select.value) return;
        const area = document.getElementById(select.dataset.insertInto);
        if (area) {
            const token = "{{ " + select.value + " }}";
            const start = area.selectionStart ?? area.value.length;
            const end = area.selectionEnd ?? area.value.length;
            area.value = area.value.slice(0, start) + token + area.value.slice(end);
            area.focus();
            area.selectionStart = area.selectionEnd = start + token.length;
            area.dispatchEvent(new Event("input", { bubbles: true }));
        }
        select.value = "";
    });

    // The preview chat: keep the newest bubble in view after each htmx swap.
    document.addEventListener("htmx:afterSwap", () => {
        const log = document.querySelector(".preview-log");
        if (log) log.scrollTop = log.scrollHeight;
    });
}
