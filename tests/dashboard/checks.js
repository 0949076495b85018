// Accessibility checks the browser test runs in the page (no library: a few lines of WCAG).

// Visible text whose contrast against its nearest opaque background is under 4.5:1 (WCAG AA).
function lowContrast() {
  const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length === 3 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  const texts = "h1,h2,h3,p,dt,dd,label,button,td,th,summary,small,figcaption,li,span";
  for (const el of document.querySelectorAll(texts)) {
    if (!el.offsetParent || !el.textContent.trim()) continue;
    const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < 4.5) low.push([el.tagName, el.id, el.textContent.trim().slice(0, 30), ratio.toFixed(2)]);
  }
  return low;
}

// Visible controls without an accessible name: no label, no aria-label, no text.
function unlabelled() {
  return [...document.querySelectorAll("input,select,button")]
    .filter((el) => el.offsetParent)
    .filter((el) => !((el.labels && el.labels.length) || el.getAttribute("aria-label") || el.textContent.trim()))
    .map((el) => el.outerHTML);
}
