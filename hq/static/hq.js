"use strict";
document.querySelectorAll('table.sortable th[data-sort]').forEach((th, i) => {
  th.addEventListener('click', () => {
    const body = th.closest('table').tBodies[0];
    const asc = th.dataset.dir !== 'asc'; th.dataset.dir = asc ? 'asc' : 'desc';
    const idx = [...th.parentNode.children].indexOf(th);
    const key = r => { const v = r.children[idx].dataset.v ?? r.children[idx].textContent;
      const n = parseFloat(v); return isNaN(n) ? v.toLowerCase() : n; };
    [...body.rows].sort((a, b) => (key(a) > key(b) ? 1 : key(a) < key(b) ? -1 : 0)
      * (asc ? 1 : -1)).forEach(r => body.appendChild(r));
  });
});

document.querySelectorAll('form.filter select').forEach(select => {
  select.addEventListener('change', () => select.form.submit());
});
