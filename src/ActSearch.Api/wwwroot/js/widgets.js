// Pieces several pages share: state badges, progress bars, pagers, copy buttons.
import {h} from './dom.js';
import {num} from './format.js';

export function stateBadge(state) {
  return h('span', {class: `badge state-${String(state).replace(/[^a-z]/g, '')}`}, state);
}

/** A progress bar with its percentage as text; share is 0..1 or null (unknown). */
export function progressBar(share, label) {
  const pct = share === null ? null : Math.round(share * 100);
  const bar = h('div', {class: 'progress', role: 'progressbar', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': 100});
  if (pct === null) {
    bar.classList.add('indeterminate');
    bar.setAttribute('aria-valuetext', 'no budget');
  } else {
    bar.setAttribute('aria-valuenow', pct);
  }
  const fill = h('div', {class: 'progress-fill'});
  fill.style.width = `${pct ?? 0}%`;
  bar.append(fill, h('span', {class: 'progress-text'}, pct === null ? '—' : `${pct}%`));
  return bar;
}

/** 'Previous · page 2 of 7 · Next' for a paged response ({total, page, pageSize}). */
export function pager({total, page, pageSize}, go, noun = 'items') {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  return h('nav', {class: 'pager', 'aria-label': 'Pages'},
    h('button', {type: 'button', disabled: page <= 1, onclick: () => go(page - 1)}, '← Previous'),
    h('span', {class: 'pager-text', role: 'status'}, `Page ${num(page)} of ${num(pages)} · ${num(total)} ${noun}`),
    h('button', {type: 'button', disabled: page >= pages, onclick: () => go(page + 1)}, 'Next →'));
}

/** Copies text to the clipboard; falls back to selecting it in a hidden text area on plain-HTTP origins. */
export async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = h('textarea', {class: 'offscreen', readonly: true, 'aria-hidden': 'true'});
  area.value = text;
  document.body.append(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('copy refused');
}

/** A code block with a Copy button that says what happened. */
export function codeBlock(label, code, language) {
  const status = h('span', {class: 'copy-status', role: 'status'});
  const button = h('button', {type: 'button', class: 'copy', 'aria-label': `Copy ${label}`,
    onclick: async () => {
      try {
        await copyText(code);
        status.textContent = 'Copied';
      } catch {
        status.textContent = 'Copy failed: select the text and copy it by hand';
      }
      setTimeout(() => { status.textContent = ''; }, 2500);
    }}, 'Copy');
  return h('section', {class: 'code-block', 'data-format': language},
    h('div', {class: 'code-head'}, h('h3', {}, label), status, button),
    h('pre', {}, h('code', {class: `language-${language}`}, code)));
}
