// Building DOM without innerHTML: every string becomes a text node, so user-supplied text (job names, formulas,
// errors) always shows as text and can never become markup or script.

const SVG_NS = 'http://www.w3.org/2000/svg';

/** An HTML element: h('a', {href: '#/jobs', class: 'x'}, 'text', child, [more children]). */
export function h(tag, props, ...children) {
  return build(document.createElement(tag), props, children);
}

/** An SVG element, same calling convention as h. */
export function s(tag, props, ...children) {
  return build(document.createElementNS(SVG_NS, tag), props, children);
}

function build(el, props, children) {
  for (const [key, value] of Object.entries(props ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'href') {
      el.setAttribute('href', safeHref(value));
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

/** Appends strings (as text nodes), numbers, nodes and nested arrays; skips null, undefined and false. */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces an element's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Only links inside the app ('#/...') or to this server ('/...'); anything else (javascript:, //host) becomes '#'. */
export function safeHref(href) {
  const text = String(href);
  if (text.startsWith('#')) return text;
  if (text.startsWith('/') && !text.startsWith('//')) return text;
  return '#';
}

/** '#/jobs/<id>' with the id escaped for a URL. */
export const jobHref = id => `#/jobs/${encodeURIComponent(id)}`;
export const activationHref = id => `#/activations/${encodeURIComponent(id)}`;

/** A labelled form control: <label>text <control></label>. */
export function labelled(text, control, extraClass) {
  return h('label', {class: extraClass ? `field ${extraClass}` : 'field'}, h('span', {class: 'field-label'}, text), control);
}

/** A <select> with [value, label] options. */
export function select(props, options, selected) {
  const el = h('select', props);
  for (const [value, label] of options) {
    const opt = h('option', {value}, label);
    if (String(value) === String(selected)) opt.selected = true;
    el.appendChild(opt);
  }
  return el;
}

/** A box announcing an error, as text. */
export function errorBox(error) {
  const box = h('div', {class: 'error', role: 'alert'});
  append(box, [h('strong', {}, error?.title ?? 'Something went wrong')]);
  if (error?.detail) append(box, [h('p', {}, error.detail)]);
  if (Array.isArray(error?.errors) && error.errors.length > 0) {
    append(box, [h('ul', {}, error.errors.map(e => h('li', {}, e)))]);
  }
  return box;
}
