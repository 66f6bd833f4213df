/* Live SMS segment counter for the budget update on the Money page.
 *
 * Mirrors channels/segments.py (count_segments) and bot/text/organiser_text.py (plain): GSM-7
 * when every character allows it (extension characters take two septets), 160 characters in
 * one segment or 153 per segment beyond; otherwise UCS-2, 70 or 67 (a character outside the
 * Basic Multilingual Plane takes two). The server's count after Preview is the truth; this
 * only saves a round trip while typing. Without JavaScript the page works the same. */
(function (root) {
  "use strict";

  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENDED = "^{}\\[~]|€\f";
  var TYPOGRAPHIC = {"\u2018": "'", "\u2019": "'", "\u201c": "\"", "\u201d": "\"",
                     "\u2013": "-", "\u2014": "-", "\u2026": "...", "\u00a0": " "};
  // Python's str.split() whitespace, which the server collapses.
  var SPACE = /[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;

  function plain(text) {
    var out = Array.from(text, function (c) { return TYPOGRAPHIC[c] || c; }).join("");
    return out.replace(SPACE, " ").replace(/^ | $/g, "");
  }

  function pack(widths, single, multi) {
    var total = widths.reduce(function (a, b) { return a + b; }, 0);
    if (total <= single) { return 1; }
    var segments = 1, used = 0;
    widths.forEach(function (width) {
      if (used + width > multi) { segments += 1; used = 0; }
      used += width;
    });
    return segments;
  }

  function count(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (c) { return BASIC.indexOf(c) >= 0 || EXTENDED.indexOf(c) >= 0; });
    if (gsm) {
      var septets = chars.map(function (c) { return EXTENDED.indexOf(c) >= 0 ? 2 : 1; });
      return {encoding: "GSM-7", segments: pack(septets, 160, 153), characters: chars.length};
    }
    var units = chars.map(function (c) { return c.codePointAt(0) > 0xffff ? 2 : 1; });
    return {encoding: "UCS-2", segments: pack(units, 70, 67), characters: chars.length};
  }

  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  // As the server does: an update with no closing punctuation gets a full stop, so it does
  // not run into the sentence after it.
  function sentence(text) {
    return text && ".!?\u2026)\"'".indexOf(text.charAt(text.length - 1)) < 0 ? text + "." : text;
  }

  function describe(text, counter) {
    var own = sentence(plain(text)), mine = count(own);
    var whole = count(counter.dataset.before + own + counter.dataset.after);
    var line = "Your text: " + plural(mine.characters, "character") + ", " + mine.encoding + ", " +
      plural(mine.segments, "SMS segment") + ". As each member gets it: " + whole.encoding + ", " +
      plural(whole.segments, "SMS segment") + ".";
    if (mine.characters > Number(counter.dataset.maxChars) ||
        whole.segments > Number(counter.dataset.maxSegments)) {
      line += " Too long to send whole: members get it shortened (Preview shows how).";
    }
    return line;
  }

  function start() {
    var box = document.getElementById("update-text");
    var counter = document.getElementById("update-count");
    if (!box || !counter) { return; }
    var show = function () { counter.textContent = describe(box.value, counter); };
    box.addEventListener("input", show);
    if (box.value && !document.getElementById("update-preview")) { show(); }
  }

  root.CommonPurseSegments = {plain: plain, count: count};  // for the browser tests
  root.addEventListener("DOMContentLoaded", start);
}(this));
