// Lets the CommonJS file samp.js run from a plain <script> tag: its last line is
// `module.exports = { samp }`. static/js/samp-bridge.js removes this global again.
if (typeof window.module === "undefined") {
  window.module = { exports: {} };
  window.vocloudSampModuleShim = true;
}
