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
 * user for consent. Looking at the hub (isHubRunning, watchHub) never registers. The page
 * unregisters when it goes away (pagehide: a beacon, which outlives the page, unlike the
 * XMLHttpRequest sampjs would send).
 *
 * Sends are SAMP calls, not notifications: the page is callable (the hub hands it the
 * tools' replies), and a send resolves once every recipient replied or timeoutMs passed,
 * with one Reply per recipient:
 *   {id, name, status, error}
 *     id      the tool's client id ("cli#3"); name its samp.name ("topcat")
 *     status  "ok"       the tool loaded it
 *             "warning"  it loaded it but had something to say (error says what)
 *             "error"    it did not load it; error is the tool's own samp.errortxt
 *                        (TOPCAT: "Duplicate table-id: ..." when a table-id comes again)
 *             "timeout"  no reply within timeoutMs (a large table may still be loading)
 * vocloudSamp.describeReplies turns them into a sentence for the page.
 *
 * Every function below that talks to the hub returns a Promise. A failure rejects with an
 * Error whose message is a sentence to show the user and whose .code is one of
 *   "no-hub"        no SAMP hub runs (message: vocloudSamp.NO_HUB_MESSAGE)
 *   "refused"       the hub (or the user, in its dialog) refused vocloud's registration
 *   "no-recipient"  the hub runs but no application accepts that kind of message
 *   "samp"          anything else the hub answered with an error
 * A tool that refuses a load is not a rejection: its Reply says so.
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
 * vocloudSamp.sendTable({url, name, tableId, format = "votable", timeoutMs = 30000})
 *         -> Promise<Reply[]>
 *     Calls table.load.votable (format "fits": table.load.fits) {url, "table-id": tableId,
 *     name} on every application that loads such tables. Use a new tableId for every send:
 *     TOPCAT refuses one it has loaded before, and quotes it in the row selections it
 *     sends back about that table.
 * vocloudSamp.sendSpectrum({url, name, meta, timeoutMs = 30000}) -> Promise<Reply[]>
 *     Calls spectrum.load.ssa-generic {url, meta, name}; meta is a map such as
 *     {"Access.Reference": url, "Access.Format": "application/fits", "Target.Name": "HD 1"}
 *     (Access.Reference defaults to url).
 * vocloudSamp.selectRows({tableId, url, rowList}) -> Promise<string[]>
 *     Broadcasts (notifies) table.select.rowList {"table-id", url, "row-list"}; rowList
 *     holds 0-based row indices of the table sent earlier under tableId/url. Resolves with
 *     the names of the applications that received it (e.g. ["topcat"]).
 * vocloudSamp.describeReplies(replies, {done, what}) -> {ok, text}
 *     One sentence per reply: "<name> <done>." (ok), "<name> <done>, with a warning:
 *     <error>.", "<name> could not load <what>: <error>." or "<name> did not answer within
 *     30 s (it may still be loading <what>).";
 *     ok is true when at least one tool loaded it. E.g. describeReplies(replies,
 *     {done: "loaded 951 rows", what: "the sample"}).
 * vocloudSamp.onRowSelection(callback) -> Promise<function unsubscribe()>
 *     Subscribes to table.select.rowList (a row subset chosen in TOPCAT, say). For every
 *     such message callback gets its params as SAMP sends them ({"table-id", url,
 *     "row-list": ["3", "1"]}) plus tableId, rowList (numbers: [3, 1]; NaN for an entry
 *     that is no row number), sender (the sending client's id) and senderName (its
 *     samp.name, e.g. "topcat"; the id when it declared none). Without a hub the Promise
 *     rejects, but the callback stays: it is subscribed when the page next registers (at
 *     its next send, say). The page subscribes to row selections only while it has a
 *     callback, so that TOPCAT offers vocloud as a target only where it listens.
 * vocloudSamp.disconnect() -> Promise<void>
 *     Unregisters this page; resolves once the hub was told (or could not be reached).
 *
 * Example (the file manager's static/files/samp.js is a complete one):
 *   vocloudSamp.watchHub(document.getElementById("samp-hub"));
 *   vocloudSamp.sendTable({url: signedUrl, name: "candidates", tableId: "vocloud:cand:7f3a"})
 *     .then((replies) => say(vocloudSamp.describeReplies(replies,
 *                              {done: "loaded the candidates", what: "the candidates"}).text),
 *           (error) => say(error.message));
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
  const LOAD_TIMEOUT_MS = 30000;
  const TABLE_MTYPES = { votable: "table.load.votable", fits: "table.load.fits" };
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
  let lastTag = 0; // message tags of this page's calls
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
          conn.vocloudNames = new Map(); // client id -> Promise of its samp.name
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

  // A client's samp.name (its id when it declared none), asked once per connection.
  function clientName(conn, id) {
    if (!conn.vocloudNames.has(id)) {
      conn.vocloudNames.set(
        id,
        call(conn, "getMetadata", [id]).then(
          function (meta) { return (meta && meta["samp.name"]) || id; },
          function () { return id; }
        )
      );
    }
    return conn.vocloudNames.get(id);
  }

  function names(conn, ids) {
    return Promise.all(ids.map(function (id) { return clientName(conn, id); }));
  }

  function broadcast(mtype, params, nobody) {
    return connection().then(function (conn) {
      return call(conn, "notifyAll", [new samp.Message(mtype, params)]).then(function (ids) {
        if (!ids || !ids.length) throw sampError("no-recipient", nobody);
        return names(conn, ids);
      });
    });
  }

  function reply(id, name, response, timeoutMs) {
    if (!response) return { id: id, name: name, status: "timeout", error: "", timeoutMs: timeoutMs };
    const status = String(response["samp.status"] || "").replace(/^samp\./, "");
    const error = (response["samp.error"] && response["samp.error"]["samp.errortxt"]) || "";
    return {
      id: id,
      name: name,
      status: status === "ok" || status === "warning" ? status : "error",
      error: String(error || (status === "ok" || status === "warning" ? "" : "no reason given")),
    };
  }

  // callAll, then wait for every recipient's reply (or timeoutMs): one Reply per recipient.
  function callAll(mtype, params, nobody, timeoutMs) {
    const wait = Number(timeoutMs) > 0 ? Number(timeoutMs) : LOAD_TIMEOUT_MS;
    return connection().then(function (conn) {
      return makeCallable(conn).then(function () {
        lastTag += 1;
        const tag = "vocloud-" + lastTag + "-" + Date.now().toString(36);
        const answers = new Map(); // responder id -> its response
        let settle = null;
        callable.replyHandler[tag] = function (responderId, _tag, response) {
          answers.set(responderId, response);
          if (settle) settle();
        };
        return call(conn, "callAll", [tag, new samp.Message(mtype, params)])
          .then(function (msgIds) {
            const ids = Object.keys(msgIds || {});
            if (!ids.length) throw sampError("no-recipient", nobody);
            return new Promise(function (resolve) {
              let done = false;
              function finish() {
                if (done) return;
                done = true;
                clearTimeout(timer);
                resolve(ids);
              }
              const timer = setTimeout(finish, wait);
              settle = function () {
                if (ids.every(function (id) { return answers.has(id); })) finish();
              };
              settle(); // replies may have come before callAll's answer
            });
          })
          .then(function (ids) {
            return Promise.all(
              ids.map(function (id) {
                return clientName(conn, id).then(function (name) {
                  return reply(id, name, answers.get(id), wait);
                });
              })
            );
          })
          .finally(function () { delete callable.replyHandler[tag]; });
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
      const mtype = TABLE_MTYPES[options.format || "votable"];
      if (!mtype) throw sampError("samp", "vocloudSamp: format is \"votable\" or \"fits\"");
      const params = { url: text(options.url, "url") };
      if (options.tableId) params["table-id"] = String(options.tableId);
      if (options.name) params.name = String(options.name);
      const kind = options.format === "fits" ? "FITS tables" : "VOTables";
      return callAll(
        mtype,
        params,
        "No application that loads " + kind + " is registered with the SAMP hub: start TOPCAT and try again.",
        options.timeoutMs
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
      return callAll(
        "spectrum.load.ssa-generic",
        params,
        "No application that loads spectra is registered with the SAMP hub: start SPLAT and try again.",
        options.timeoutMs
      );
    });
  }

  function sentence(text) {
    return String(text).trim().replace(/[.\s]+$/, "");
  }

  function describeReplies(replies, options) {
    const done = (options && options.done) || "loaded it";
    const what = (options && options.what) || "it";
    const parts = (replies || []).map(function (r) {
      if (r.status === "ok") return r.name + " " + done + ".";
      if (r.status === "warning") return r.name + " " + done + ", with a warning: " + sentence(r.error) + ".";
      if (r.status === "timeout") {
        return r.name + " did not answer within " + Math.round((r.timeoutMs || LOAD_TIMEOUT_MS) / 1000) +
          " s (it may still be loading " + what + ").";
      }
      return r.name + " could not load " + what + ": " + sentence(r.error) + ".";
    });
    return {
      ok: (replies || []).some(function (r) { return r.status === "ok" || r.status === "warning"; }),
      text: parts.join(" "),
    };
  }

  // --- receiving ------------------------------------------------------------------

  // A SAMP int is a string of digits; anything else (Number("") is 0) is no row.
  function rowNumber(text) {
    return /^\s*[0-9]+\s*$/.test(String(text)) ? Number(text) : NaN;
  }

  const callable = new samp.CallableClient();
  // sampjs' CallableClient replies to calls through this.connection but never sets it.
  callable.init = function (conn) { this.connection = conn; };
  callable.callHandler[ROW_SELECTION] = function (senderId, message) {
    const params = message["samp.params"] || {};
    const conn = connector.connection;
    const named = conn ? clientName(conn, senderId) : Promise.resolve(senderId);
    named.then(function (senderName) {
      const selection = Object.assign({}, params, {
        tableId: params["table-id"],
        rowList: Array.from(params["row-list"] || [], rowNumber),
        sender: senderId,
        senderName: senderName,
      });
      rowListeners.forEach(function (listener) {
        try {
          listener(selection);
        } catch (err) {
          console.error("vocloudSamp row-selection callback failed", err);
        }
      });
    });
  };
  const forget = function () { connector.setConnection(null); };
  callable.callHandler["samp.hub.event.shutdown"] = forget;
  callable.callHandler["samp.hub.disconnect"] = forget;

  // Row selections only while someone listens: otherwise TOPCAT would offer vocloud as
  // a target for its row subsets and nothing would happen.
  function subscriptions() {
    const subs = {};
    for (const mtype of Object.keys(callable.callHandler)) {
      if (mtype !== ROW_SELECTION || rowListeners.size) subs[mtype] = {};
    }
    return subs;
  }

  // Callable once per connection (replies and row selections come that way); subscriptions
  // declared again when they changed. The Promise settles when the hub knows them.
  function makeCallable(conn) {
    if (!conn.vocloudCallable) {
      callable.init(conn);
      // sampjs closes the connection, and never calls back, when the hub refuses.
      conn.vocloudCallable = new Promise(function (resolve, reject) {
        const timer = setTimeout(function () {
          conn.vocloudCallable = null;
          reject(sampError("samp", "The SAMP hub did not let vocloud receive replies: try again."));
        }, 10000);
        conn.setCallable(callable, function () { clearTimeout(timer); resolve(); });
      });
      conn.vocloudDeclared = null;
    }
    return conn.vocloudCallable.then(function () {
      const subs = subscriptions();
      const key = Object.keys(subs).sort().join(" ");
      if (!conn.vocloudDeclared || conn.vocloudDeclared.key !== key) {
        const declared = call(conn, "declareSubscriptions", [subs]).catch(function (err) {
          if (conn.vocloudDeclared && conn.vocloudDeclared.promise === declared) {
            conn.vocloudDeclared = null;
          }
          throw err;
        });
        conn.vocloudDeclared = { key: key, promise: declared };
      }
      return conn.vocloudDeclared.promise;
    });
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

  // --- unregistering ----------------------------------------------------------------

  function unregisterRequest(conn) {
    const request = new samp.XmlRpcRequest("samp.webhub.unregister");
    request.addParam(conn.privateKey);
    return request;
  }

  // The connection is closed here without sampjs' own unregister call (its key is gone).
  function drop(conn) {
    delete conn.regInfo;
    delete conn.privateKey;
    if (connector.connection === conn) connector.setConnection(null);
  }

  function disconnect() {
    const conn = connector.connection;
    if (!conn || !conn.regInfo) return Promise.resolve();
    const request = unregisterRequest(conn);
    drop(conn);
    return new Promise(function (resolve) {
      try {
        conn.xClient.execute(request, function () { resolve(); }, function () { resolve(); });
      } catch (err) {
        resolve();
      }
    });
  }

  // A page that goes away cancels its XMLHttpRequests, so sampjs' unregister never reached
  // the hub and the page stayed listed in TOPCAT. A beacon is sent after the page is gone;
  // it posts text/plain, which needs no CORS preflight, and the Web Profile hubs read the
  // XML-RPC body whatever its content type. fetch(keepalive) where beacons are refused.
  window.addEventListener("pagehide", function () {
    const conn = connector.connection;
    if (!conn || !conn.regInfo) return;
    const endpoint = conn.xClient.endpoint;
    const body = unregisterRequest(conn).toXml();
    drop(conn);
    let queued = false;
    try {
      queued = Boolean(navigator.sendBeacon && navigator.sendBeacon(endpoint, body));
    } catch (err) {
      queued = false;
    }
    if (!queued && window.fetch) {
      fetch(endpoint, { method: "POST", body: body, keepalive: true, mode: "no-cors", credentials: "omit" })
        .catch(function () {});
    }
  });

  window.vocloudSamp = {
    NO_HUB_MESSAGE: NO_HUB_MESSAGE,
    isHubRunning: isHubRunning,
    watchHub: watchHub,
    connect: function () { return connection().then(function () {}); },
    sendTable: sendTable,
    selectRows: selectRows,
    sendSpectrum: sendSpectrum,
    describeReplies: describeReplies,
    onRowSelection: onRowSelection,
    disconnect: disconnect,
  };
})();
