/* topics dashboard script. Corpus text is untrusted: it reaches the DOM only through
   textContent, and plotly (which renders strings as HTML-ish markup) only through escapeHtml. */
(function () {
  "use strict";

  var byId = function (id) { return document.getElementById(id); };
  var readJson = function (id) { return JSON.parse(byId(id).textContent); };
  var state = { docs: null, run: null, figures: {}, mapDiv: null, mapRowXY: null,
                highlightIndex: -1, outlierIndex: -1, haystack: null, topicSort: "size",
                selectedTopic: null, period: "" };

  function escapeHtml(value) {
    // Plotly parses only tags in its labels (no attributes from our text), and shows &quot;
    // literally, so escaping & < > is both sufficient and exact.
    return String(value).replace(/[&<>]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;" }[c];
    });
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clip(text, limit) {
    text = String(text || "");
    return text.length > limit ? text.slice(0, limit - 1) + "…" : text;
  }

  // Hover labels do not wrap: break long snippets into lines (CJK characters count double).
  function wrapLines(text, width) {
    var lines = [], line = "", used = 0;
    for (var i = 0; i < text.length; i++) {
      var ch = text[i], w = ch.charCodeAt(0) > 0x2e80 ? 2 : 1;
      if (used + w > width && (ch === " " || w === 2 || used > width + 12)) {
        lines.push(line); line = ""; used = 0;
        if (ch === " ") continue;
      }
      line += ch; used += w;
    }
    if (line) lines.push(line);
    return lines;
  }

  // Big payloads (plotly.js, the document table) are gzip + base64: about 40% of their size.
  async function inflate(box) {
    if (typeof DecompressionStream === "undefined") {
      throw new Error("This browser cannot unpack the page data (no DecompressionStream).");
    }
    var binary = atob(box.data), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Response(stream).text();
  }

  async function readDocuments() {
    var box = readJson("doc-data");
    return box.encoding === "gzip+base64" ? JSON.parse(await inflate(box)) : box.data;
  }

  // plotly.js is inlined once, compressed; indirect eval runs it in global scope like a
  // <script> would (the page's CSP allows eval for plotly's WebGL shaders anyway).
  async function loadPlotly() {
    if (window.Plotly) return;
    var box = readJson("plotly-js");
    var source = box.encoding === "gzip+base64" ? await inflate(box) : box.data;
    (0, eval)(source);
  }

  function topicInfo(topic) {
    for (var i = 0; i < state.run.topics.length; i++) {
      if (state.run.topics[i].topic === topic) return state.run.topics[i];
    }
    return null;
  }

  function topicLabel(topic) {
    var info = topicInfo(topic);
    if (topic === state.run.outlier) return "Outliers";
    return topic + " · " + (info ? info.label : "Topic " + topic);
  }

  // "overview group › fine topic" when the run has topic layers, else the topic alone.
  function bothLevels(topic) {
    var info = topicInfo(topic), groups = state.run.groups || [];
    if (!info || info.group === undefined || info.group === null) return topicLabel(topic);
    for (var i = 0; i < groups.length; i++) {
      if (groups[i].id === info.group) {
        return clip(groups[i].label || "group " + info.group, 36) + " › " + topicLabel(topic);
      }
    }
    return topicLabel(topic);
  }

  function docHeading(row) {
    var d = state.docs, title = d.title[row];
    return title ? title : clip((d.text[row] || "").split(/\s+/).slice(0, 12).join(" "), 90);
  }

  function hoverText(row) {
    var d = state.docs, text = d.text[row] || "";
    var snippet = clip(text, 200);
    var meta = [d.lang[row] || "?", "topic " + bothLevels(d.topic[row])];
    if (d.date && d.date[row]) meta.push(d.date[row]);
    return "<b>" + wrapLines(clip(docHeading(row), 110), 64).map(escapeHtml).join("<br>") +
      "</b><br>" + wrapLines(snippet, 64).map(escapeHtml).join("<br>") +
      "<br><i>" + escapeHtml(clip(meta.join(" · "), 90)) + "</i>";
  }

  function hasWebGL() {
    try {
      var canvas = document.createElement("canvas");
      return !!(canvas.getContext("webgl") || canvas.getContext("experimental-webgl"));
    } catch (e) { return false; }
  }

  function plotConfig() {
    return { responsive: true, displaylogo: false, scrollZoom: false,
             modeBarButtonsToRemove: ["select2d", "lasso2d"] };
  }

  function figureSpec(name) {
    var node = byId("fig-" + name);
    return node ? JSON.parse(node.textContent) : null;
  }

  async function renderMap() {
    var spec = figureSpec("document_map");
    var div = byId("plot-document_map");
    if (!spec || !div) return;
    var webgl = hasWebGL();
    state.mapRowXY = {};
    spec.data.forEach(function (trace, index) {
      var role = trace.meta && trace.meta.role;
      if (!webgl && trace.type === "scattergl") trace.type = "scatter";
      if (role === "documents" || role === "outliers") {
        trace.hovertext = trace.customdata.map(hoverText);
        trace.customdata.forEach(function (row, k) { state.mapRowXY[row] = [trace.x[k], trace.y[k]]; });
      }
      if (role === "highlight") state.highlightIndex = index;
      if (role === "outliers") state.outlierIndex = index;
    });
    spec.layout.hoverlabel = Object.assign({}, spec.layout.hoverlabel || {},
      { bgcolor: "#fff", bordercolor: "#cbd2d9", align: "left",
        font: Object.assign({}, (spec.layout.hoverlabel || {}).font, { color: "#1f2933", size: 12 }) });
    await Plotly.newPlot(div, spec.data, spec.layout, plotConfig());
    state.mapDiv = div;
    div.on("plotly_click", function (event) {
      var point = event.points && event.points[0];
      if (point && typeof point.customdata === "number") showDocument(point.customdata);
    });
    zoomLabels(div);
    var toggle = byId("show-outliers");
    if (state.outlierIndex < 0) toggle.parentNode.hidden = true;
    toggle.addEventListener("change", function () {
      Plotly.restyle(div, { visible: toggle.checked }, [state.outlierIndex]);
    });
  }

  // Overview group names on the whole map, fine topic names once the view is zoomed in to
  // less than half of the map's width or height (runs with topic layers only).
  function zoomLabels(div) {
    var fine = -1, groups = -1;
    div.data.forEach(function (t, i) {
      var role = t.meta && t.meta.role;
      if (role === "labels") fine = i;
      if (role === "group-labels") groups = i;
    });
    if (fine < 0 || groups < 0) return;
    var full = null;
    function span(axis) { return Math.abs(axis.range[1] - axis.range[0]); }
    function update() {
      var layout = div.layout;
      if (!full) full = [span(layout.xaxis), span(layout.yaxis)];
      var zoomed = span(layout.xaxis) < full[0] / 2 || span(layout.yaxis) < full[1] / 2;
      if (div.dataset.labels === (zoomed ? "fine" : "overview")) return;
      div.dataset.labels = zoomed ? "fine" : "overview";
      Plotly.restyle(div, { visible: [zoomed, !zoomed] }, [fine, groups]);
    }
    update();
    div.on("plotly_relayout", update);
  }

  async function renderFigure(name) {
    var spec = figureSpec(name), div = byId("plot-" + name);
    if (!spec || !div) return;
    if (name === "topic_words") {
      state.figures.topic_words = spec;
      return renderTopicWords(state.selectedTopic);
    }
    await Plotly.newPlot(div, spec.data, spec.layout, plotConfig());
    if (name === "similarity") {
      div.on("plotly_click", function (event) {
        var point = event.points && event.points[0];
        if (point && typeof point.customdata === "number") {
          selectTopic(point.customdata);
          byId("topics").scrollIntoView({ behavior: "smooth" });
        }
      });
    }
  }

  function renderTopicWords(topic) {
    var spec = state.figures.topic_words, div = byId("plot-topic_words");
    if (!spec || !div) return Promise.resolve();
    var trace = spec.data.filter(function (t) { return t.meta && t.meta.topic === topic; })[0];
    if (!trace) { Plotly.purge(div); div.textContent = "No words for this topic."; return Promise.resolve(); }
    if (!div.classList.contains("js-plotly-plot")) div.textContent = "";
    var shown = Object.assign({}, trace, { visible: true });
    var layout = Object.assign({}, spec.layout, { height: Math.max(180, 26 * trace.y.length + 50) });
    return Plotly.react(div, [shown], layout, plotConfig());
  }

  // ---- search --------------------------------------------------------------------------
  // The period filter (runs with trends): search and the map show one period's documents.
  function inPeriod(i) { return !state.period || (state.docs.period || [])[i] === state.period; }

  function wirePeriodFilter() {
    var periods = state.run.periods || [], select = byId("period-filter");
    if (!periods.length || !select) return;
    periods.forEach(function (p) {
      var option = document.createElement("option");
      option.value = p; option.textContent = p;
      select.appendChild(option);
    });
    byId("period-filter-label").hidden = false;
    select.addEventListener("change", function () {
      state.period = select.value;
      runSearch(byId("search").value);
    });
  }

  function runSearch(query) {
    var d = state.docs, summary = byId("search-summary"), list = byId("search-results");
    var terms = query.toLowerCase().split(/\s+/).filter(Boolean);
    list.textContent = "";
    var matches = [];
    if (terms.length) {
      if (!state.haystack) {
        state.haystack = d.text.map(function (text, i) {
          return ((d.title[i] || "") + " \n " + (text || "")).toLowerCase();
        });
      }
      for (var i = 0; i < state.haystack.length; i++) {
        var hay = state.haystack[i], ok = true;
        for (var k = 0; k < terms.length && ok; k++) ok = hay.indexOf(terms[k]) !== -1;
        if (ok && inPeriod(i)) matches.push(i);
      }
    } else if (state.period) {
      for (var j = 0; j < d.id.length; j++) if (inPeriod(j)) matches.push(j);
    }
    highlight(matches, terms.length > 0 || !!state.period);
    if (!terms.length && state.period) {
      summary.textContent = matches.length.toLocaleString() + " document" +
        (matches.length === 1 ? "" : "s") + " in " + state.period + " (lit up on the map)";
      return;
    }
    if (!terms.length) { summary.textContent = "Type to search; matches light up on the map."; return; }
    summary.textContent = matches.length.toLocaleString() + " matching document" +
      (matches.length === 1 ? "" : "s") + (matches.length > 200 ? " (first 200 listed)" : "");
    matches.slice(0, 200).forEach(function (row) { list.appendChild(docItem(row)); });
  }

  function highlight(rows, active) {
    var div = state.mapDiv;
    if (!div || state.highlightIndex < 0) return;
    var onMap = rows.filter(function (r) { return state.mapRowXY[r]; });
    var others = [];
    div.data.forEach(function (t, i) {
      var role = t.meta && t.meta.role;
      if (role === "documents" || role === "outliers") others.push(i);
    });
    var opacity = others.map(function (i) {
      if (active) return 0.18;
      return div.data[i].meta.role === "outliers" ? 0.45 : 0.8;
    });
    if (others.length) Plotly.restyle(div, { "marker.opacity": opacity }, others);
    Plotly.restyle(div, {
      x: [onMap.map(function (r) { return state.mapRowXY[r][0]; })],
      y: [onMap.map(function (r) { return state.mapRowXY[r][1]; })],
      customdata: [onMap],
      hovertext: [onMap.map(hoverText)],
    }, [state.highlightIndex]);
    div.dataset.highlighted = String(onMap.length);
  }

  function docItem(row) {
    var d = state.docs, item = el("li"), button = el("button", "doc-link");
    button.type = "button";
    var swatch = el("span", "swatch");
    swatch.style.background = topicColor(d.topic[row]);
    button.appendChild(swatch);
    button.appendChild(el("span", "doc-heading", clip(docHeading(row), 140)));
    var meta = (d.lang[row] || "?") + " · " + clip(bothLevels(d.topic[row]), 80);
    button.appendChild(el("span", "doc-sub", meta));
    button.dataset.row = String(row);
    button.addEventListener("click", function () { showDocument(row); });
    item.appendChild(button);
    return item;
  }

  function topicColor(topic) {
    var palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
      "#ff9da7", "#9c755f", "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b", "#e377c2",
      "#17becf", "#bcbd22", "#7f7f7f", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173",
      "#3182bd"];
    return topic < 0 ? "#b8bec6" : palette[topic % palette.length];
  }

  function showDocument(row) {
    var d = state.docs, panel = byId("doc-panel");
    var meta = ["id " + d.id[row], d.lang[row] || "?"];
    if (d.date && d.date[row]) meta.push(d.date[row]);
    if (d.label && d.label[row]) meta.push("label " + d.label[row]);
    // HDBSCAN membership in its own cluster; blank for documents reassigned to a topic later.
    if (d.probability[row] !== null) meta.push("membership " + d.probability[row]);
    byId("doc-meta").textContent = meta.join(" · ");
    byId("doc-title").textContent = d.title[row] || "(untitled)";
    var chip = byId("doc-topic");
    chip.textContent = topicLabel(d.topic[row]);
    chip.style.borderColor = topicColor(d.topic[row]);
    chip.onclick = function () { selectTopic(d.topic[row]); byId("topics").scrollIntoView(); };
    byId("doc-text").textContent = d.text[row] || "";
    panel.hidden = false;
    panel.dataset.row = String(row);
  }

  // ---- topics --------------------------------------------------------------------------
  function renderTopicTable() {
    var body = document.querySelector("#topic-table tbody");
    var topics = state.run.topics.slice();
    var key = state.topicSort;
    var groups = state.run.groups || [];
    var rank = {};
    groups.forEach(function (g, i) { rank[g.id] = i; });
    topics.sort(function (a, b) {
      if ((a.topic < 0) !== (b.topic < 0)) return a.topic < 0 ? 1 : -1;
      if (key === "group" && rank[a.group] !== rank[b.group]) return rank[a.group] - rank[b.group];
      if (key === "size" || key === "group") return b.size - a.size || a.topic - b.topic;
      if (key === "label") return a.label.localeCompare(b.label);
      return a.topic - b.topic;
    });
    body.textContent = "";
    var lastGroup = null;
    topics.forEach(function (t) {
      if (key === "group" && t.topic >= 0 && t.group !== lastGroup) {
        // An overview group's row above its fine topics (label from layers.csv).
        var group = groups[rank[t.group]] || { label: "", size: 0 };
        var head = el("tr", "group-row");
        var cell = el("td", "", group.label || "group " + t.group);
        cell.colSpan = 2;
        head.appendChild(cell);
        head.appendChild(el("td", "num", group.size.toLocaleString()));
        body.appendChild(head);
        lastGroup = t.group;
      }
      var tr = el("tr");
      tr.dataset.topic = String(t.topic);
      if (t.topic === state.selectedTopic) tr.className = "selected";
      var id = el("td", "num");
      var swatch = el("span", "swatch");
      swatch.style.background = topicColor(t.topic);
      id.appendChild(swatch);
      id.appendChild(document.createTextNode(t.topic < 0 ? "–" : String(t.topic)));
      tr.appendChild(id);
      var name = el("td", "label", t.topic < 0 ? "Outliers (no topic)" : t.label);
      if (t.topic >= 0 && t.keywords && t.keywords !== t.label) {
        name.appendChild(el("div", "keywords", t.keywords));  // the label's units, under the name
      }
      tr.appendChild(name);
      tr.appendChild(el("td", "num", t.size.toLocaleString()));
      tr.addEventListener("click", function () { selectTopic(t.topic); });
      body.appendChild(tr);
    });
    document.querySelectorAll("button.sort").forEach(function (b) {
      b.classList.toggle("active", b.dataset.sort === key);
    });
  }

  function selectTopic(topic) {
    var info = topicInfo(topic);
    if (!info) return;
    state.selectedTopic = topic;
    byId("topic-title").textContent = topic < 0 ? "Outliers" : topicLabel(topic);
    var labels = byId("topic-labels");
    labels.textContent = "";
    [["EN", info.name_en, info.label_en], ["中文", info.name_zh, info.label_zh]].forEach(function (row) {
      if (!row[1] && !row[2]) return;
      var line = el("div", "bilingual");
      line.appendChild(el("span", "tag", row[0]));
      line.appendChild(el("span", "name", " " + (row[1] || row[2])));
      if (row[1] && row[2]) line.appendChild(el("div", "keywords", row[2]));
      labels.appendChild(line);
    });
    var langs = byId("topic-langs");
    langs.textContent = "";
    langs.appendChild(el("div", "subtle", info.size.toLocaleString() + " documents"));
    var bar = el("div", "lang-bar");
    Object.keys(info.langs).sort().forEach(function (lang) {
      var part = el("span", "lang-" + lang, lang + " " + info.langs[lang]);
      part.style.flexGrow = String(info.langs[lang]);
      part.title = lang + ": " + info.langs[lang] + " documents";
      bar.appendChild(part);
    });
    langs.appendChild(bar);
    if (info.language_note) {
      // Detail of the header's one-line language warning, collapsed: it explains, not alarms.
      var note = el("details", "topic-note");
      note.appendChild(el("summary", "", "Mostly one language"));
      note.appendChild(el("p", "", info.language_note));
      langs.appendChild(note);
    }
    var list = byId("topic-docs");
    list.textContent = "";
    info.representative.forEach(function (row) {
      var item = docItem(row);
      item.appendChild(el("p", "snippet", clip(state.docs.text[row], 260)));
      list.appendChild(item);
    });
    renderTopicTable();
    return renderTopicWords(topic);
  }

  // ---- downloads -----------------------------------------------------------------------
  // Cells that a spreadsheet would read as a formula get a leading quote (CSV injection).
  function csvCell(value) {
    if (value === null || value === undefined) return "";
    if (typeof value === "number") return String(value);
    var text = String(value);
    if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
    if (/[",\r\n]/.test(text) || text !== text.trim()) text = '"' + text.replace(/"/g, '""') + '"';
    return text;
  }

  function csv(header, rows) {
    var lines = [header.map(csvCell).join(",")];
    rows.forEach(function (r) { lines.push(r.map(csvCell).join(",")); });
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }

  function download(name, text) {
    var url = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
    var link = el("a");
    link.href = url; link.download = name;
    document.body.appendChild(link); link.click(); link.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 5000);
  }

  function topicsCsv() {
    return csv(["topic", "size", "name", "name_en", "name_zh", "label", "label_en", "label_zh",
                "words", "share_zh", "share_en"],
      state.run.topics.map(function (t) {
        return [t.topic, t.size, t.label, t.name_en, t.name_zh, t.keywords, t.label_en, t.label_zh,
                t.words, t.share_zh, t.share_en];
      }));
  }

  function documentsCsv() {
    var d = state.docs, header = ["id", "title", "lang", "topic", "topic_label", "probability"];
    if (d.date) header.push("date");
    if (d.label) header.push("label");
    var rows = d.id.map(function (id, i) {
      var row = [id, d.title[i], d.lang[i], d.topic[i], topicLabel(d.topic[i]), d.probability[i]];
      if (d.date) row.push(d.date[i]);
      if (d.label) row.push(d.label[i]);
      return row;
    });
    return csv(header, rows);
  }

  function wireControls() {
    var timer = null, input = byId("search");
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { runSearch(input.value); }, 150);
    });
    byId("doc-close").addEventListener("click", function () { byId("doc-panel").hidden = true; });
    wirePeriodFilter();
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape") byId("doc-panel").hidden = true;
    });
    document.querySelectorAll("button.sort").forEach(function (b) {
      b.addEventListener("click", function () { state.topicSort = b.dataset.sort; renderTopicTable(); });
    });
    document.querySelectorAll("button.topic-link").forEach(function (b) {
      b.addEventListener("click", function () {
        selectTopic(Number(b.dataset.topic));
        byId("topics").scrollIntoView();
      });
    });
    byId("download-topics").addEventListener("click", function () { download("topics.csv", topicsCsv()); });
    byId("download-documents").addEventListener("click", function () {
      download("documents.csv", documentsCsv());
    });
  }

  function nextFrame() { return new Promise(function (r) { setTimeout(r, 0); }); }

  async function main() {
    state.run = readJson("run-data");
    if ((state.run.groups || []).length) {  // topic layers: list fine topics by overview group
      state.topicSort = "group";
      document.querySelector('button.sort[data-sort="group"]').hidden = false;
    }
    performance.mark("topics:start");
    var documents = readDocuments();
    await loadPlotly();
    performance.mark("topics:plotly");
    state.docs = await documents;
    performance.mark("topics:documents");
    wireControls();
    await renderMap();
    window.__firstFigureAt = performance.now();
    var first = state.run.topics.filter(function (t) { return t.topic >= 0; })
      .sort(function (a, b) { return b.size - a.size; })[0] || state.run.topics[0];
    state.figures.topic_words = figureSpec("topic_words");
    if (first) await selectTopic(first.topic); else renderTopicTable();
    var names = Array.prototype.map.call(document.querySelectorAll(".chart .plot[data-figure]"),
      function (div) { return div.id.replace(/^plot-/, ""); });
    for (var i = 0; i < names.length; i++) {
      if (names[i] === "document_map") continue;
      await nextFrame();  // let the map paint before the rest
      await renderFigure(names[i]);
    }
    document.body.dataset.ready = "1";
  }

  window.topicsReport = { csvCell: csvCell, topicsCsv: function () { return topicsCsv(); },
                          documentsCsv: function () { return documentsCsv(); }, state: state };
  main().catch(function (error) {
    var box = byId("page-error");
    box.hidden = false;
    box.textContent = "The page could not be drawn: " + error.message;
    document.body.dataset.ready = "error";
    console.error(error);
  });
})();
