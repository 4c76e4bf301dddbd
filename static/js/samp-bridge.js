/*
 * vocloudSamp: hand tables and spectra to desktop tools (TOPCAT, SPLAT, Aladin, ...)
 * over the SAMP Web Profile, from any vocloud page. Plain JavaScript, no build step.
 *
 * Load, in this order (templates/samp/scripts.html has the three tags):
 *   static/vendor/sampjs/module-shim.js   lets the CommonJS samp.js run from a <script> tag
 *   static/vendor/sampjs/samp.js          sampjs 1.0.3, unmodified
 *   static/js/samp-bridge.js              this file: defines window.vocloudSamp
 *
 * One SAMP registration per page, as the client "vocloud" (sampjs Connector), made on
 * demand: the first send (or onRowSelection) registers, which may make the hub ask the
 * user for consent. Looking at the hub (isHubRunning, watchHub) never registers.
 *
 * Every function below returns a Promise. A failure rejects with an Error whose message
 * is a sentence to show the user and whose .code is one of
 *   "no-hub"        no SAMP hub runs (message: vocloudSamp.NO_HUB_MESSAGE)
 *   "refused"       the hub (or the user, in its dialog) refused vocloud's registration
 *   "no-recipient"  the hub runs but no application accepts that kind of message
 *   "samp"          anything else the hub answered with an error
 * SAMP carries strings only: numbers given in rowList or meta are sent as strings.
 *
 * vocloudSamp.isHubRunning() -> Promise<boolean>
 * vocloudSamp.watchHub(element, {intervalMs = 5000} = {}) -> function stop()
 *     Shows "SAMP hub: connected" (this page is registered), "SAMP hub: running" or
 *     "SAMP hub: not running" in element, now and every intervalMs; also sets
 *     element.dataset.sampHub to "connected", "running" or "absent".
 * vocloudSamp.connect() -> Promise<void>
 *     Registers (once) now; sends do it themselves, this is for pages that want to ask
 *     early, e.g. before fetching signed links.
 * vocloudSamp.sendTable({url, name, tableId}) -> Promise<string[]>
 *     Broadcasts table.load.votable {url, "table-id": tableId, name}; resolves with the
 *     names of the applications that received it (e.g. ["topcat"]).
 * vocloudSamp.selectRows({tableId, url, rowList}) -> Promise<string[]>
 *     Broadcasts table.select.rowList {"table-id", url, "row-list"}; rowList holds
 *     0-based row indices of the table sent earlier under tableId/url.
 * vocloudSamp.sendSpectrum({url, name, meta}) -> Promise<string[]>
 *     Broadcasts spectrum.load.ssa-generic {url, meta, name}; meta is a map such as
 *     {"Access.Reference": url, "Access.Format": "application/fits", "Target.Name": "HD 1"}.
 * vocloudSamp.onRowSelection(callback) -> Promise<function unsubscribe()>
 *     Subscribes to table.select.rowList (a row subset chosen in TOPCAT, say). For every
 *     such message callback gets its params as SAMP sends them ({"table-id", url,
 *     "row-list": ["3", "1"]}) plus tableId, rowList (numbers: [3, 1]) and sender (the
 *     sending client's id). Without a hub the Promise rejects, but the callback stays:
 *     it is subscribed when the page next registers (at its next send, say).
 * vocloudSamp.disconnect() -> Promise<void>
 *     Unregisters this page (it also does so when the page goes away).
 *
 * Example (the file manager's static/files/samp.js is a complete one):
 *   vocloudSamp.watchHub(document.getElementById("samp-hub"));
 *   vocloudSamp.sendTable({url: signedUrl, name: "candidates", tableId: "vocloud:cand"})
 *     .then((apps) => say(`Sent to ${apps.join(", ")}.`), (error) => say(error.message));
 */
(function () {
  "use strict";

  // samp.js assigned its export to the shim's `module`: take it back off the global
  // object, where it would make UMD libraries (BokehJS) export into it.
  if (window.vocloudSampModuleShim) {
    delete window.module;
    delete window.vocloudSampModuleShim;
  }
  const samp = window.samp;
  if (!samp || !samp.Connector) {
    throw new Error("samp-bridge.js needs sampjs: load vendor/sampjs/samp.js first");
  }

  const APP_NAME = "vocloud";
  const NO_HUB_MESSAGE =
    "No SAMP hub is running: start TOPCAT or SPLAT (they include a hub) and try again.";
  const ROW_SELECTION = "table.select.rowList";
  const script = document.currentScript;
  const iconUrl = new URL(
    script && script.dataset.icon ? script.dataset.icon : "/static/img/vocloud-samp.png",
    window.location.href
  ).href;
  const META = {
    "samp.name": APP_NAME,
    "samp.description.text":
      "vocloud: active learning on astronomical spectra (" + window.location.origin + ")",
    "samp.icon.url": iconUrl,
    "samp.documentation.url": new URL("/", window.location.href).href,
  };

  const connector = new samp.Connector(APP_NAME, META);
  let registering = null; // the registration in progress, shared by concurrent callers
  const rowListeners = new Set();
  const hubWatchers = new Set(); // refresh functions of watchHub elements
  connector.onreg = connector.onunreg = function () {
    hubWatchers.forEach(function (refresh) { refresh(); });
  };

  function sampError(code, message) {
    const error = new Error(message);
    error.code = code;
    return error;
  }

  function isFault(err) {
    return err && typeof err === "object" && "faultString" in err;
  }

  function hubError(err) {
    if (isFault(err)) return sampError("samp", "The SAMP hub answered: " + err.faultString);
    return sampError("no-hub", NO_HUB_MESSAGE);
  }

  function registrationError(err) {
    if (isFault(err)) {
      return sampError(
        "refused",
        "The SAMP hub refused to register vocloud (" + err.faultString + "). " +
          "Accept vocloud in the hub's dialog (TOPCAT or SPLAT asks) and try again."
      );
    }
    return sampError("no-hub", NO_HUB_MESSAGE);
  }

  // Promise wrapper of one sampjs Connection method: conn.method(args, ok, fail).
  function call(conn, method, args) {
    return new Promise(function (resolve, reject) {
      try {
        conn[method](args, resolve, function (err) { reject(hubError(err)); });
      } catch (err) {
        reject(err instanceof Error && !isFault(err) ? err : hubError(err));
      }
    });
  }

  function register() {
    return new Promise(function (resolve, reject) {
      samp.register(
        APP_NAME,
        function (conn) {
          connector.setConnection(conn);
          if (rowListeners.size) {
            makeCallable(conn).catch(function (err) {
              console.warn("vocloudSamp: could not subscribe to row selections", err);
            });
          }
          resolve(conn);
        },
        function (err) { reject(registrationError(err)); }
      );
    });
  }

  // The page's connection, registering when there is none or the hub forgot it
  // (restarted, say). getRegisteredClients is the cheapest call that needs a valid key.
  function connection() {
    if (registering) return registering;
    const current = connector.connection;
    const checked = current
      ? call(current, "getRegisteredClients", []).then(
          function () { return current; },
          function () { connector.setConnection(null); return register(); }
        )
      : register();
    registering = checked.finally(function () { registering = null; });
    return registering;
  }

  function names(conn, ids) {
    return Promise.all(
      ids.map(function (id) {
        return call(conn, "getMetadata", [id]).then(
          function (meta) { return (meta && meta["samp.name"]) || id; },
          function () { return id; }
        );
      })
    );
  }

  function broadcast(mtype, params, nobody) {
    return connection().then(function (conn) {
      return call(conn, "notifyAll", [new samp.Message(mtype, params)]).then(function (ids) {
        if (!ids || !ids.length) throw sampError("no-recipient", nobody);
        return names(conn, ids);
      });
    });
  }

  function text(value, what) {
    if (value === undefined || value === null || value === "") {
      throw sampError("samp", "vocloudSamp: " + what + " is required");
    }
    return String(value);
  }

  // Strings only, dropping empty values: SAMP maps hold strings, lists and maps.
  function stringMap(map) {
    const out = {};
    for (const [key, value] of Object.entries(map || {})) {
      if (value !== undefined && value !== null && value !== "") out[key] = String(value);
    }
    return out;
  }

  function sendTable(options) {
    return Promise.resolve().then(function () {
      const params = { url: text(options.url, "url") };
      if (options.tableId) params["table-id"] = String(options.tableId);
      if (options.name) params.name = String(options.name);
      return broadcast(
        "table.load.votable",
        params,
        "No application that loads VOTables is registered with the SAMP hub: start TOPCAT and try again."
      );
    });
  }

  function selectRows(options) {
    return Promise.resolve().then(function () {
      const rows = Array.from(options.rowList || [], function (row) { return String(row); });
      return broadcast(
        ROW_SELECTION,
        { "table-id": text(options.tableId, "tableId"), url: text(options.url, "url"), "row-list": rows },
        "No application that shows this table is registered with the SAMP hub: send the table to TOPCAT first."
      );
    });
  }

  function sendSpectrum(options) {
    return Promise.resolve().then(function () {
      const url = text(options.url, "url");
      const meta = stringMap(Object.assign({ "Access.Reference": url }, options.meta));
      const params = { url: url, meta: meta };
      if (options.name) params.name = String(options.name);
      return broadcast(
        "spectrum.load.ssa-generic",
        params,
        "No application that loads spectra is registered with the SAMP hub: start SPLAT and try again."
      );
    });
  }

  // --- receiving ------------------------------------------------------------------

  const callable = new samp.CallableClient();
  // sampjs' CallableClient replies to calls through this.connection but never sets it.
  callable.init = function (conn) { this.connection = conn; };
  callable.callHandler[ROW_SELECTION] = function (senderId, message) {
    const params = message["samp.params"] || {};
    const selection = Object.assign({}, params, {
      tableId: params["table-id"],
      rowList: (params["row-list"] || []).map(Number),
      sender: senderId,
    });
    rowListeners.forEach(function (listener) {
      try {
        listener(selection);
      } catch (err) {
        console.error("vocloudSamp row-selection callback failed", err);
      }
    });
  };
  const forget = function () { connector.setConnection(null); };
  callable.callHandler["samp.hub.event.shutdown"] = forget;
  callable.callHandler["samp.hub.disconnect"] = forget;

  // Once per connection; the Promise settles when the hub knows the subscriptions.
  function makeCallable(conn) {
    if (!conn.vocloudCallable) {
      callable.init(conn);
      conn.vocloudCallable = new Promise(function (resolve, reject) {
        conn.setCallable(callable, function () {
          call(conn, "declareSubscriptions", [callable.calculateSubscriptions()]).then(resolve, reject);
        });
      });
    }
    return conn.vocloudCallable;
  }

  function onRowSelection(callback) {
    if (typeof callback !== "function") {
      return Promise.reject(sampError("samp", "vocloudSamp.onRowSelection needs a function"));
    }
    rowListeners.add(callback); // kept on failure: register() subscribes it later
    return connection()
      .then(makeCallable)
      .then(function () { return function unsubscribe() { rowListeners.delete(callback); }; });
  }

  // --- the hub's presence -----------------------------------------------------------

  function isHubRunning() {
    return new Promise(function (resolve) { samp.ping(resolve); });
  }

  function watchHub(element, options) {
    const intervalMs = (options && options.intervalMs) || 5000;
    let stopped = false;
    function show(running) {
      if (stopped) return;
      if (!running && connector.connection) connector.setConnection(null);
      const state = !running ? "absent" : connector.connection ? "connected" : "running";
      element.dataset.sampHub = state;
      element.textContent =
        "SAMP hub: " + { absent: "not running", running: "running", connected: "connected" }[state];
      element.title = running
        ? "A SAMP hub runs on this computer: vocloud can send files to TOPCAT, SPLAT, ..."
        : NO_HUB_MESSAGE;
    }
    function refresh() { isHubRunning().then(show); }
    refresh();
    hubWatchers.add(refresh); // registering or losing the hub shows at once
    const timer = setInterval(refresh, intervalMs);
    return function stop() {
      stopped = true;
      hubWatchers.delete(refresh);
      clearInterval(timer);
    };
  }

  function disconnect() {
    if (connector.connection) connector.unregister();
    return Promise.resolve();
  }

  window.addEventListener("pagehide", function () {
    if (connector.connection) connector.unregister();
  });

  window.vocloudSamp = {
    NO_HUB_MESSAGE: NO_HUB_MESSAGE,
    isHubRunning: isHubRunning,
    watchHub: watchHub,
    connect: function () { return connection().then(function () {}); },
    sendTable: sendTable,
    selectRows: selectRows,
    sendSpectrum: sendSpectrum,
    onRowSelection: onRowSelection,
    disconnect: disconnect,
  };
})();
