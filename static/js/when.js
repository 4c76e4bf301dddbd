// Every <time datetime="…Z"> shows UTC; its title gives the reader's local time.
"use strict";
(function () {
  function localise(root) {
    for (const element of root.querySelectorAll("time[datetime]")) {
      const moment = new Date(element.getAttribute("datetime"));
      if (!Number.isNaN(moment.getTime())) {
        element.title = "your local time: " + moment.toLocaleString();
      }
    }
  }
  document.addEventListener("DOMContentLoaded", () => localise(document));
  window.vocloudLocalise = localise; // for parts of a page drawn later
})();
