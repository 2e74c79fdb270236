// Runs before the modules (a classic script in <head>): starts the first
// page's API reads while they load, and the weights worker. app.js takes
// each answer over once (util.js api(), charts.js loadWeights()).
(function () {
  'use strict';
  var m = /^#\/(subnet|try)\/(\d+)\/?$/.exec(location.hash);
  var paths = ['/v1/dashboard/config', '/v1/network'];
  var subnet = m && m[1] === 'subnet' ? '/v1/subnets/' + m[2] : null;
  if (subnet) paths.push(subnet + '/metagraph', subnet + '/history');
  var pending = new Map();
  paths.forEach(function (p) {
    // a failure is handed over as it is: api() reports it
    pending.set(p, fetch(p, {cache: 'no-store', credentials: 'same-origin'}).then(
      function (res) { return {res: res}; },
      function (err) { return {err: err}; }));
  });
  window.tcPrefetch = pending;

  // the weights worker: one per page, answering {id, url} requests
  var calls = new Map();
  var next = 0;
  var worker = null;
  try {
    worker = new Worker('/assets/weights-worker.js', {type: 'module'});
  } catch (e) {
    worker = null;
  }
  var fail = function (why) {
    window.tcWeights = null;
    calls.forEach(function (resolve) { resolve({ok: false, status: 0, error: why, workerFailed: true}); });
    calls.clear();
  };
  if (worker) {
    worker.onmessage = function (ev) {
      var resolve = calls.get(ev.data && ev.data.id);
      if (resolve) {
        calls.delete(ev.data.id);
        resolve(ev.data);
      }
    };
    worker.onerror = function (ev) {
      if (ev && ev.preventDefault) ev.preventDefault();
      fail('the weights worker failed');
    };
    // tcWeights(url) resolves to the worker's answer for url
    window.tcWeights = function (url) {
      return new Promise(function (resolve) {
        var id = ++next;
        calls.set(id, resolve);
        worker.postMessage({id: id, url: url});
      });
    };
    if (subnet) pending.set(subnet + '/weights', window.tcWeights(subnet + '/weights').then(function (r) { return {matrix: r}; }));
  }
})();
