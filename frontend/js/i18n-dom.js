// The page's own words (index.html: the static header and footer, and every <template> a view clones) in the
// language in use. One rule, the same as frontend/i18n-keys.mjs extracts with: each text node and each of the
// attributes in ATTRIBUTES, whitespace-normalised, is a key of the catalog (t()); elements marked translate="no"
// or data-no-i18n, and <kbd> and <code>, are left alone (names, numbers, API data are set with textContent after cloning, never keys).

import { t } from "./i18n.js";

const ATTRIBUTES = ["placeholder", "aria-label", "title", "alt"];
const SKIP = "[translate=no], [data-no-i18n], script, style, kbd, code";
const WORDS = /\p{L}/u;

// The English original of every text node and attribute translated, so a later language starts from it.
const originals = new WeakMap();

function translated(english) {
  const key = english.replace(/\s+/g, " ").trim();
  if (!WORDS.test(key)) return english;
  const text = t(key); // i18n: index.html's own text, extracted from it by i18n-keys.mjs
  if (text === key) return english;
  // keep the white space around the words (it separates them from the elements beside them)
  const lead = english.match(/^\s*/)[0];
  const trail = english.match(/\s*$/)[0];
  return `${lead}${text}${trail}`;
}

function skipped(element) {
  return element?.closest?.(SKIP) != null;
}

/** Translate root's subtree in place (text nodes and ATTRIBUTES), from the English the page was written in. */
export function translateTree(root) {
  if (!root || skipped(root.nodeType === 1 ? root : root.parentElement)) return root;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ELEMENT | NodeFilter.SHOW_TEXT, {
    acceptNode(node) {
      if (node.nodeType === 1 && node.matches(SKIP)) return NodeFilter.FILTER_REJECT;
      return NodeFilter.FILTER_ACCEPT;
    },
  });
  for (let node = walker.currentNode; node; node = walker.nextNode()) {
    if (node.nodeType === 3) {
      if (!WORDS.test(node.nodeValue)) continue;
      if (!originals.has(node)) originals.set(node, node.nodeValue);
      const text = translated(originals.get(node));
      if (node.nodeValue !== text) node.nodeValue = text;
      continue;
    }
    for (const name of ATTRIBUTES) {
      if (!node.hasAttribute(name)) continue;
      let saved = originals.get(node);
      if (!saved) originals.set(node, (saved = {}));
      if (!(name in saved)) saved[name] = node.getAttribute(name);
      node.setAttribute(name, translated(saved[name]));
    }
  }
  return root;
}
