/* corridors web map: draws the layers corridors.web put in the page's JSON (no rule of the analysis here).
 *
 * Each <script type="application/json" class="corridors-map" data-target="ID"> holds one map's spec:
 * {title, center, zoom, layers: [{id, name, group, style, popup, title, legend, visible, source, note,
 * geojson | image: {url, bounds}}]}. Leaflet 1.9.4 and Leaflet.Sync are inlined before this file.
 * Plain Leaflet, no plugin for the grouped switcher or the legend: both are a few DOM nodes.
 */
(function () {
  "use strict";
  var maps = [];

  function esc(v) {
    return String(v).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function fmt(v) {
    if (v === null || v === undefined || v === "") return "";
    if (typeof v === "number") {
      if (Number.isInteger(v)) return v.toLocaleString("en");
      var a = Math.abs(v);
      return a >= 100 ? v.toLocaleString("en", {maximumFractionDigits: 0})
        : a >= 1 ? v.toFixed(2) : a >= 0.001 ? v.toFixed(3) : v.toExponential(2);
    }
    return esc(v);
  }

  function popupHtml(lay, props) {
    var head = lay.title && props[lay.title] ? "<b>" + esc(props[lay.title]) + "</b><br>" : "";
    var rows = lay.popup.filter(function (k) { return props[k] !== null && props[k] !== undefined && props[k] !== ""; })
      .map(function (k) { return "<tr><th>" + esc(k) + '</th><td data-field="' + esc(k) + '">' + fmt(props[k]) + "</td></tr>"; });
    var src = lay.source ? '<div class="src">source: <a href="' + esc(lay.source) + '">' + esc(lay.source) + "</a></div>" : "";
    return '<div class="corridors-popup" data-layer="' + esc(lay.id) + '">' + head + "<table>" + rows.join("") + "</table>" + src + "</div>";
  }

  function swatch(e) {
    var s = e.shape || "box";
    if (s === "line") return '<svg width="26" height="12"><line x1="1" y1="6" x2="25" y2="6" stroke="' + e.color + '" stroke-width="3"/></svg>';
    if (s === "dash") return '<svg width="26" height="12"><line x1="1" y1="6" x2="25" y2="6" stroke="' + e.color + '" stroke-width="2" stroke-dasharray="5 3"/></svg>';
    if (s === "circle") return '<svg width="26" height="14"><circle cx="13" cy="7" r="5" fill="white" stroke="' + e.color + '" stroke-width="2.5"/></svg>';
    return '<svg width="26" height="14"><rect x="3" y="1" width="20" height="12" fill="' + e.color + '" stroke="#777" stroke-width="0.5"/></svg>';
  }

  function legendHtml(lay) {
    var body = lay.legend.map(function (e) {
      if (e.ramp) {
        return '<div class="ramp-label">' + esc(e.label) + '</div><div class="ramp" style="background:linear-gradient(to right,' +
          e.ramp.join(",") + ')"></div><div class="ramp-ends"><span>' + esc(e.low) + "</span><span>" + esc(e.high) + "</span></div>";
      }
      return '<div class="entry">' + swatch(e) + " " + esc(e.label) + "</div>";
    }).join("");
    var note = lay.note ? '<div class="note">' + esc(lay.note) + "</div>" : "";
    return '<div class="legend-layer" data-layer="' + esc(lay.id) + '"><div class="legend-title">' + esc(lay.name) + "</div>" + body + note + "</div>";
  }

  function build(el, spec, controls) {
    var map = L.map(el, {zoomSnap: 0.25}).setView(spec.center, spec.zoom);
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Natural Earth; corridors");
    L.control.scale({imperial: false}).addTo(map);
    var groups = {}, order = [], byId = {};
    var legend = controls.querySelector(".legend"), switcher = controls.querySelector(".switcher");
    function redrawLegend() {
      legend.innerHTML = spec.layers.filter(function (l) { return map.hasLayer(byId[l.id]) && l.legend.length; })
        .map(legendHtml).join("");
    }
    spec.layers.forEach(function (lay, k) {
      var layer, name = "p" + k;
      // one pane per layer, stacked by its drawing level (base polygons, rasters, base lines, areas, lines,
      // points) and then in the order given, so a raster never hides a river or a site
      map.createPane(name).style.zIndex = 400 + 40 * lay.z + k;
      if (lay.image) {
        layer = L.imageOverlay(lay.image.url, lay.image.bounds, {pane: name, className: "layer-" + lay.id});
      } else {
        layer = L.geoJSON(lay.geojson, {
          pane: name,
          style: function (f) { return L.extend({className: "layer-" + lay.id}, lay.style, f.properties._style || {}); },
          pointToLayer: function (f, ll) {
            return L.circleMarker(ll, L.extend({pane: name, className: "layer-" + lay.id}, lay.style, f.properties._style || {}));
          },
          onEachFeature: function (f, l) { if (lay.popup.length || lay.title) l.bindPopup(popupHtml(lay, f.properties), {maxWidth: 420}); }
        });
      }
      byId[lay.id] = layer;
      if (lay.visible) layer.addTo(map);
      if (!groups[lay.group]) { groups[lay.group] = []; order.push(lay.group); }
      groups[lay.group].push(lay);
    });
    // the layer switcher: one checkbox per layer under its group's heading, in the side panel
    switcher.innerHTML = order.map(function (g) {
      return '<div class="group"><div class="group-title">' + esc(g) + "</div>" + groups[g].map(function (l) {
        return '<label><input type="checkbox" data-layer="' + esc(l.id) + '"' + (l.visible ? " checked" : "") + "> " + esc(l.name) + "</label>";
      }).join("") + "</div>";
    }).join("");
    switcher.addEventListener("change", function (ev) {
      var id = ev.target.getAttribute("data-layer");
      if (!id) return;
      if (ev.target.checked) byId[id].addTo(map); else map.removeLayer(byId[id]);
      redrawLegend();
    });
    redrawLegend();
    var shown = spec.layers.filter(function (l) { return l.geojson && l.group !== "Base map" && map.hasLayer(byId[l.id]); });
    var all = L.featureGroup(shown.map(function (l) { return byId[l.id]; }));
    if (all.getLayers().length && all.getBounds().isValid()) map.fitBounds(all.getBounds(), {padding: [10, 10], animate: false});
    return {map: map, layers: byId, spec: spec};
  }

  document.querySelectorAll("script.corridors-map").forEach(function (s) {
    var spec = JSON.parse(s.textContent);
    var target = s.getAttribute("data-target");
    maps.push(build(document.getElementById(target), spec, document.getElementById("controls-" + target)));
  });
  if (maps.length === 2 && maps[0].map.sync) {  // side by side: each map follows the other (Leaflet.Sync)
    maps[0].map.sync(maps[1].map);
    maps[1].map.sync(maps[0].map);
  }
  window.corridorsMaps = maps;  // for the browser tests and the curious
})();
