// The form assistant, improved where JavaScript runs: a field that applies only to some
// answers on the same page (a proof for a company car, reasons for a second home)
// appears when it applies and disappears when it does not. The server decides, with the
// same rules it checks the page with: after each change the page's answers go to the
// step's visibility address, which names the fields shown. Without JavaScript every such
// field is shown and the check on sending leaves out those that do not apply.
(function () {
  'use strict';
  const form = document.querySelector('form[data-visibility]');
  if (!form || !window.fetch || !form.querySelector('[data-conditional]')) return;
  let asked = 0;

  async function update() {
    const mine = ++asked;
    const sent = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === 'string') sent.append(name, value);
    }
    let answer;
    try {
      const response = await fetch(form.dataset.visibility, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
        body: sent,
      });
      if (!response.ok) return;
      answer = await response.json();
    } catch (e) {
      return; // Offline for a moment: everything stays as it is, the server checks anyway.
    }
    if (mine !== asked) return; // A later change has asked again.
    const shown = new Set(answer.shown);
    for (const block of form.querySelectorAll('[data-conditional]')) {
      block.hidden = !shown.has(block.dataset.field);
    }
  }

  let timer;
  form.addEventListener('change', () => {
    clearTimeout(timer);
    timer = setTimeout(update, 50);
  });
  update();
})();
