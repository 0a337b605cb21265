/* onnxalgebra interactive diagram (written for onnxalgebra, MIT licence).
 *
 * window.onnxalgebraDiagram(root, data) draws data (onnxalgebra.display._html.page_data) inside root with the
 * vendored viz.js (Graphviz in WebAssembly): pan (drag), zoom (wheel, buttons), search by node or tensor name,
 * a side panel describing the clicked node or edge, and collapsed chains that expand on click.
 * State for tests and benchmarks is written on root: data-state ("ready" or "error"), data-first-render-ms,
 * data-renders, data-nodes, data-layout-ms (the last layout), data-matches, data-selected. A URL hash such as #search=MatMul&expand=all&select=n3
 * (or click=k1: a mouse click on that node) is applied on load when data.options.useHash is set (the standalone page).
 */
(function () {
  "use strict";
  if (window.onnxalgebraDiagram) return;

  function make(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  /* The DOT of the parts with every chain collapsed except the boxes in expanded (as _dot.assemble_dot).
   * Over options.largeNodes drawn nodes, the layout is made cheaper: edges lose their labels (dot lays a label
   * out as a node of its own: 25 times slower on 5,000 nodes), constants are folded into the nodes that read
   * them with options.largeFold (half the nodes of a typical model: 10 times faster on 10,000 nodes) and
   * Graphviz gets options.largeAttributes; the side panel still
   * gives every tensor's type and every node's constant inputs. */
  function assemble(parts, expanded, options) {
    var hidden = {}, first = {}, nodes = 0, constants = {};
    parts.chains.forEach(function (chain) {
      if (expanded[chain.box]) return;
      chain.members.forEach(function (m) { hidden[m] = chain.box; });
      first[chain.first] = chain.line;
    });
    parts.lines.forEach(function (entry) {
      var owner = entry[0];
      if (owner === null || (hidden[owner] && !first[owner])) return;
      nodes += 1;
      if (options.largeFold && parts.index[owner] && parts.index[owner].kind === "initializer") constants[owner] = true;
    });
    var large = options.largeNodes > 0 && nodes > options.largeNodes;
    var out = parts.header.slice();
    var attributes = large ? options.largeAttributes : "";
    if (attributes) out.push("  graph [" + attributes + "];");
    parts.lines.forEach(function (entry) {
      var owner = entry[0];
      if (owner !== null && hidden[owner]) {
        if (first[owner]) out.push(first[owner]);
        return;
      }
      if (large && constants[owner]) return;
      out.push(entry[1]);
    });
    parts.edges.forEach(function (e) {
      var a = hidden[e[1]] || e[1], b = hidden[e[2]] || e[2];
      if (a === b || (large && constants[a])) return;
      var attrs = ["id=" + e[0]];
      if (e[3] !== null && !large) attrs.push("label=" + e[3]);
      if (e[4]) attrs.push(e[4]);
      out.push("  " + a + " -> " + b + " [" + attrs.join(", ") + "];");
    });
    out.push("}");
    return { dot: out.join("\n"), hidden: hidden, large: large };
  }

  function Diagram(root, data) {
    this.root = root;
    this.data = data;
    this.index = data.parts.index;
    this.expanded = {};
    this.matches = [];
    this.current = -1;
    this.renders = 0;
    this.build();
  }

  Diagram.prototype.build = function () {
    var self = this, root = this.root;
    root.classList.add("oxa-diagram");
    var bar = make("div", "oxa-toolbar");
    this.search = make("input");
    this.search.type = "search";
    this.search.placeholder = "search a node or tensor name";
    this.search.className = "oxa-search";
    this.count = make("span", "oxa-count");
    var buttons = [["+", "zoom in", function () { self.zoom(1 / 1.25); }],
                   ["\u2212", "zoom out", function () { self.zoom(1.25); }],
                   ["fit", "fit the whole graph", function () { self.fit(); }]];
    if (this.data.parts.chains.length) {
      buttons.push(["expand all", "draw every collapsed chain's nodes", function () { self.expandAll(true); }]);
      buttons.push(["collapse all", "draw long chains as one box", function () { self.expandAll(false); }]);
    }
    bar.appendChild(this.search);
    buttons.forEach(function (b) {
      var button = make("button", "oxa-button", b[0]);
      button.title = b[1];
      button.type = "button";
      button.addEventListener("click", b[2]);
      bar.appendChild(button);
    });
    bar.appendChild(this.count);
    var body = make("div", "oxa-body");
    this.canvas = make("div", "oxa-canvas");
    this.panel = make("div", "oxa-panel");
    this.panel.appendChild(make("div", "oxa-hint", "Click a node or an edge to see its details; " +
      "click a grey dashed box to expand its chain. Drag to pan, wheel to zoom."));
    body.appendChild(this.canvas);
    body.appendChild(this.panel);
    root.textContent = "";
    root.appendChild(bar);
    root.appendChild(body);
    this.search.addEventListener("input", function () { self.find(self.search.value, false); });
    this.search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); self.next(); }
    });
    this.canvas.addEventListener("wheel", function (event) {
      event.preventDefault();
      self.zoom(event.deltaY > 0 ? 1.15 : 1 / 1.15, event.clientX, event.clientY);
    }, { passive: false });
    var drag = null;
    this.canvas.addEventListener("mousedown", function (event) {
      drag = { x: event.clientX, y: event.clientY, box: self.box.slice(), moved: false };
    });
    window.addEventListener("mousemove", function (event) {
      if (!drag || !self.svg) return;
      var dx = event.clientX - drag.x, dy = event.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 3) { drag.moved = true; self.canvas.classList.add("oxa-dragging"); }
      if (!drag.moved) return;
      var scale = self.scale();
      self.setBox([drag.box[0] - dx * scale, drag.box[1] - dy * scale, drag.box[2], drag.box[3]]);
    });
    window.addEventListener("mouseup", function (event) {
      if (!drag) return;
      var moved = drag.moved;
      drag = null;
      self.canvas.classList.remove("oxa-dragging");
      if (!moved) self.click(event.target);
    });
  };

  Diagram.prototype.start = function () {
    var self = this;
    return window.Viz.instance().then(function (viz) {
      self.viz = viz;
      self.draw();
      self.root.setAttribute("data-first-render-ms", performance.now().toFixed(1));
      if (self.data.options && self.data.options.useHash) self.applyHash(window.location.hash);
      self.root.setAttribute("data-state", "ready");
    }).catch(function (error) {
      self.canvas.textContent = "";
      self.canvas.appendChild(make("div", "oxa-message", "The diagram could not be drawn: " + error));
      self.root.setAttribute("data-state", "error");
      self.root.setAttribute("data-error", String(error));
    });
  };

  Diagram.prototype.draw = function () {
    var assembled = assemble(this.data.parts, this.expanded, this.data.options || {});
    this.root.setAttribute("data-large", assembled.large ? "1" : "0");
    this.hidden = assembled.hidden;
    var started = performance.now(), svg = this.viz.renderSVGElement(assembled.dot);
    this.root.setAttribute("data-layout-ms", (performance.now() - started).toFixed(1));
    var view = svg.viewBox.baseVal;
    this.extent = [view.x, view.y, view.width, view.height];
    svg.removeAttribute("width");
    svg.removeAttribute("height");
    this.canvas.textContent = "";
    this.canvas.appendChild(svg);
    this.svg = svg;
    this.renders += 1;
    this.root.setAttribute("data-renders", String(this.renders));
    this.root.setAttribute("data-nodes", String(svg.querySelectorAll("g.node").length));
    this.fit();
    if (this.search.value) this.find(this.search.value, true);
  };

  /* Canvas pixels per SVG unit, inverted: SVG units per pixel. */
  Diagram.prototype.scale = function () {
    var width = this.canvas.clientWidth || 1;
    return this.box[2] / width;
  };

  Diagram.prototype.setBox = function (box) {
    this.box = box;
    this.svg.setAttribute("viewBox", box.join(" "));
  };

  /* The whole graph, keeping the canvas's aspect ratio so that pixels map linearly to SVG units. */
  Diagram.prototype.fit = function () {
    if (!this.svg) return;
    var e = this.extent, w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    if (!w || !h) { this.setBox(e.slice()); return; }
    var aspect = w / h, width = Math.max(e[2], e[3] * aspect), height = width / aspect;
    this.setBox([e[0] - (width - e[2]) / 2, e[1] - (height - e[3]) / 2, width, height]);
  };

  Diagram.prototype.zoom = function (factor, clientX, clientY) {
    if (!this.svg) return;
    var rect = this.canvas.getBoundingClientRect(), b = this.box;
    var fx = clientX === undefined ? 0.5 : (clientX - rect.left) / (rect.width || 1);
    var fy = clientY === undefined ? 0.5 : (clientY - rect.top) / (rect.height || 1);
    var x = b[0] + fx * b[2], y = b[1] + fy * b[3];
    this.setBox([x - fx * b[2] * factor, y - fy * b[3] * factor, b[2] * factor, b[3] * factor]);
  };

  Diagram.prototype.centre = function (element) {
    var rect = this.canvas.getBoundingClientRect(), r = element.getBoundingClientRect(), b = this.box;
    if (!rect.width || !rect.height) return;
    var x = b[0] + (r.left + r.width / 2 - rect.left) / rect.width * b[2];
    var y = b[1] + (r.top + r.height / 2 - rect.top) / rect.height * b[3];
    this.setBox([x - b[2] / 2, y - b[3] / 2, b[2], b[3]]);
  };

  function matchesEntry(entry, query) {
    if (!entry) return false;
    var texts = [entry.name, entry.op].concat(entry.inputs || [], entry.outputs || []);
    return texts.some(function (t) { return t && String(t).toLowerCase().indexOf(query) >= 0; });
  }

  /* Marks (class oxa-match) every drawn node or edge whose name, operator or tensor names contain the query;
   * a match hidden in a collapsed chain marks its box. Centres the first match unless keep is set. */
  Diagram.prototype.find = function (text, keep) {
    var self = this, query = String(text || "").trim().toLowerCase();
    this.svg.querySelectorAll(".oxa-match").forEach(function (g) { g.classList.remove("oxa-match"); });
    this.matches = [];
    this.current = -1;
    if (query) {
      var marked = {};
      Object.keys(this.index).forEach(function (key) {
        var entry = self.index[key];
        if (entry.kind === "chain" || !matchesEntry(entry, query)) return;
        var shown = self.hidden[key] || key;
        if (marked[shown]) return;
        var g = self.svg.querySelector("g[id='" + shown + "']");
        if (!g) return;
        marked[shown] = true;
        g.classList.add("oxa-match");
        if (entry.kind !== "edge") self.matches.push(g);
      });
    }
    var total = this.svg.querySelectorAll(".oxa-match").length;
    this.root.setAttribute("data-matches", String(total));
    this.count.textContent = query ? this.matches.length + " node(s), " + (total - this.matches.length) + " edge(s)" : "";
    if (!keep && this.matches.length) this.next();
  };

  Diagram.prototype.next = function () {
    if (!this.matches.length) return;
    this.current = (this.current + 1) % this.matches.length;
    this.centre(this.matches[this.current]);
    this.select(this.matches[this.current].id);
  };

  Diagram.prototype.click = function (target) {
    if (!target || !target.closest || !this.canvas.contains(target)) return;
    var g = target.closest("g.node, g.edge");
    if (!g) return;
    var entry = this.index[g.id];
    if (entry && entry.kind === "chain") { this.expand(g.id); return; }
    this.select(g.id);
  };

  Diagram.prototype.expand = function (box) {
    this.expanded[box] = true;
    this.draw();
    this.select(box);
  };

  Diagram.prototype.expandAll = function (open) {
    var self = this;
    this.expanded = {};
    if (open) this.data.parts.chains.forEach(function (c) { self.expanded[c.box] = true; });
    this.draw();
  };

  function row(table, key, value) {
    var tr = make("tr");
    tr.appendChild(make("td", null, key));
    tr.appendChild(make("td", null, value));
    table.appendChild(tr);
  }

  function typeText(v) {
    if (!v || !v.type) return "type unknown";
    return v.dtype ? v.dtype + (v.shape ? ", shape [" + v.shape.join(", ") + "]" : ", shape unknown") : v.type;
  }

  /* Describes the node or edge of DOT id key in the side panel. */
  Diagram.prototype.select = function (key) {
    var entry = this.index[key], panel = this.panel, values = this.data.parts.values;
    if (!entry) return;
    this.svg.querySelectorAll(".oxa-selected").forEach(function (g) { g.classList.remove("oxa-selected"); });
    var g = this.svg.querySelector("g[id='" + key + "']");
    if (g) g.classList.add("oxa-selected");
    this.root.setAttribute("data-selected", key);
    panel.textContent = "";
    var title = entry.kind === "edge" ? "tensor " + entry.name :
      entry.kind === "operator" || entry.kind === "chain" ? entry.op + " " + entry.name : entry.kind + " " + entry.name;
    panel.appendChild(make("h3", "oxa-title", title));
    var table = make("table", "oxa-details");
    if (entry.kind === "edge") {
      var v = values[entry.name] || {};
      row(table, "type", v.type || "unknown");
      row(table, "element type", v.dtype || "unknown");
      row(table, "shape", v.shape ? "[" + v.shape.join(", ") + "]" : "unknown");
    } else {
      if (entry.domain) row(table, "domain", entry.domain);
      (entry.attributes || []).forEach(function (a) { row(table, a[0], a[1]); });
      (entry.inputs || []).forEach(function (n, i) { row(table, "input " + i, n + ": " + typeText(values[n])); });
      (entry.outputs || []).forEach(function (n, i) { row(table, "output " + i, n + ": " + typeText(values[n])); });
      if (entry.preview) row(table, "values", entry.preview);
      if (entry.kind === "chain") {
        var index = this.index;
        var constants = entry.members.filter(function (m) { return (index[m] || {}).kind === "initializer"; });
        row(table, "collapsed", (entry.members.length - constants.length) + " operators and " + constants.length +
            " constants only they read: click the box to expand");
      }
    }
    panel.appendChild(table);
  };

  Diagram.prototype.applyHash = function (hash) {
    var self = this, params = {};
    String(hash || "").replace(/^#/, "").split("&").forEach(function (pair) {
      var k = pair.indexOf("=");
      if (k > 0) params[decodeURIComponent(pair.slice(0, k))] = decodeURIComponent(pair.slice(k + 1));
    });
    if (params.expand === "all") this.expandAll(true);
    else if (params.expand) {
      params.expand.split(",").forEach(function (box) { self.expanded[box] = true; });
      this.draw();
    }
    if (params.click) {  /* a real click (mouse down and up) on a drawn node or edge, as a user would */
      var g = this.svg.querySelector("g[id='" + params.click + "']"), target = g && (g.querySelector("text") || g);
      if (target) {
        var r = target.getBoundingClientRect(), at = { bubbles: true, clientX: r.left + 2, clientY: r.top + 2 };
        target.dispatchEvent(new MouseEvent("mousedown", at));
        target.dispatchEvent(new MouseEvent("mouseup", at));
      }
    }
    if (params.select) this.select(params.select);
    if (params.search) { this.search.value = params.search; this.find(params.search, false); }
  };

  window.onnxalgebraDiagram = function (root, data) {
    var diagram = new Diagram(root, data);
    root.onnxalgebraDiagram = diagram;
    return diagram.start();
  };
})();
