// Balcão's admin behaviour. Templates carry no inline script: the Content-Security-Policy refuses it.
"use strict";
{
    // The company switcher submits as soon as another company is chosen.
    const select = document.getElementById("company-switcher-select");
    if (select) {
        select.addEventListener("change", () => select.form.submit());
    }
}
