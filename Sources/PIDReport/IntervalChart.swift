/// A chart of labelled rows on one number axis: each row may hold a bar
/// (an interval) and markers (values), each with its text. Styles differ
/// in shape and lightness, not only in hue, so the chart reads in grayscale.
struct IntervalChart {
  enum Shape {
    /// A filled dot: a valid bound or an estimate.
    case dot
    /// An open ring: a number shown for comparison that is not valid.
    case ring
    /// An open diamond: an inner value (a feasible point, not a bound).
    case diamond
    /// A cross: a bias-corrected value.
    case cross
  }

  enum BarStyle {
    /// Dark and solid: the bracket the bounds certify.
    case solid
    /// Light with a dark outline: an interval with sampling error.
    case light
    /// A thin line with end caps: a bootstrap interval.
    case whisker
  }

  struct Marker {
    var value: Double
    var shape: Shape
    /// The text written above the mark.
    var caption: String
  }

  struct Row {
    var label: String
    /// Bold label: the row is a valid bound or the main result.
    var emphasis: Bool = false
    var bar: (lower: Double, upper: Double, style: BarStyle)? = nil
    var markers: [Marker] = []
    /// Text in the right column (numbers of the row).
    var note: String = ""
  }

  var title: String
  var axisLabel: String
  var rows: [Row]
  /// Values the axis must include (for example 0 and 1 for accuracy).
  var include: [Double] = []
  /// Vertical reference lines: value and text.
  var references: [(value: Double, text: String)] = []

  static let labelWidth = 250.0
  static let plotWidth = 430.0
  static let noteWidth = 360.0
  static let rowHeight = 34.0

  var svg: String {
    let top = 34.0
    let height = top + Double(rows.count) * Self.rowHeight + 44
    let width = Self.labelWidth + Self.plotWidth + Self.noteWidth
    var picture = SVG(width: width, height: height, title: title)
    var values: [Double] = []
    for row in rows {
      if let bar = row.bar { values += [bar.lower, bar.upper] }
      values += row.markers.map(\.value)
    }
    values += references.map(\.value)
    let scale = LinearScale(covering: values, including: include, start: Self.labelWidth + 10, end: Self.labelWidth + Self.plotWidth - 10)
    let bottom = top + Double(rows.count) * Self.rowHeight
    picture.text(title, x: 4, y: 18, size: 14, bold: true)
    // Axis with ticks and grid.
    picture.line(scale.start, bottom, scale.end, bottom, stroke: "#333")
    for tick in scale.ticks {
      let x = scale(tick)
      picture.line(x, top - 4, x, bottom, stroke: "#ddd")
      picture.line(x, bottom, x, bottom + 5, stroke: "#333")
      picture.text(tickText(tick), x: x, y: bottom + 18, anchor: .middle, size: 11, fill: "#333")
    }
    picture.text(axisLabel, x: (scale.start + scale.end) / 2, y: bottom + 36, anchor: .middle, size: 12)
    for reference in references where reference.value.isFinite {
      let x = scale(reference.value)
      picture.line(x, top - 6, x, bottom, stroke: "#555", width: 1.5, dash: "5,3")
      picture.text(reference.text, x: x, y: top - 9, anchor: .middle, size: 11, fill: "#333")
    }
    for (index, row) in rows.enumerated() {
      let y = top + (Double(index) + 0.5) * Self.rowHeight + 4
      if index % 2 == 1 {
        picture.rect(x: 0, y: y - Self.rowHeight / 2 - 4, width: width, height: Self.rowHeight, fill: "#f4f4f4")
        // Redraw the grid over the band.
        for tick in scale.ticks { let x = scale(tick); picture.line(x, y - Self.rowHeight / 2 - 4, x, y + Self.rowHeight / 2 - 4, stroke: "#ddd") }
      }
      picture.text(row.label, x: 4, y: y + 4, size: 12, bold: row.emphasis)
      if let bar = row.bar, bar.lower.isFinite, bar.upper.isFinite {
        let x1 = scale(bar.lower), x2 = scale(bar.upper)
        switch bar.style {
        case .solid: picture.rect(x: x1, y: y - 5, width: max(x2 - x1, 2), height: 10, fill: "#222")
        case .light: picture.rect(x: x1, y: y - 7, width: max(x2 - x1, 2), height: 14, fill: "#c8c8c8", stroke: "#222")
        case .whisker:
          picture.line(x1, y, x2, y, stroke: "#222", width: 2)
          picture.line(x1, y - 6, x1, y + 6, stroke: "#222", width: 2)
          picture.line(x2, y - 6, x2, y + 6, stroke: "#222", width: 2)
        }
      }
      for marker in row.markers where marker.value.isFinite {
        let x = scale(marker.value)
        switch marker.shape {
        case .dot: picture.circle(cx: x, cy: y, r: 5, fill: "#000")
        case .ring: picture.circle(cx: x, cy: y, r: 5, fill: "#fff", stroke: "#555")
        case .diamond: picture.polygon([(x, y - 7), (x + 7, y), (x, y + 7), (x - 7, y)], fill: "#fff", stroke: "#000")
        case .cross:
          picture.line(x - 5, y - 5, x + 5, y + 5, stroke: "#000", width: 2.5)
          picture.line(x - 5, y + 5, x + 5, y - 5, stroke: "#000", width: 2.5)
        }
        if !marker.caption.isEmpty {
          picture.text(marker.caption, x: x, y: y - 9, anchor: .middle, size: 10, fill: "#222", className: "mark")
        }
      }
      picture.text(row.note, x: Self.labelWidth + Self.plotWidth + 8, y: y + 4, size: 11, fill: "#222")
    }
    return picture.rendered
  }
}

/// A histogram drawn as bars over its value range, with vertical lines at
/// marked values (the estimate, the observed statistic).
struct HistogramChart {
  var title: String
  var lower: Double
  var upper: Double
  var counts: [Int]
  var marks: [(value: Double, text: String)]

  var svg: String {
    let width = 320.0, height = 190.0
    let left = 36.0, right = width - 12, top = 40.0, bottom = height - 42
    var picture = SVG(width: width, height: height, title: title)
    picture.text(title, x: 4, y: 16, size: 12, bold: true)
    let scale = LinearScale(covering: [lower, upper] + marks.map(\.value), start: left, end: right)
    let most = max(counts.max() ?? 0, 1)
    picture.line(left, bottom, right, bottom, stroke: "#333")
    picture.line(left, top, left, bottom, stroke: "#333")
    picture.text(String(most), x: left - 4, y: top + 4, anchor: .end, size: 10, fill: "#333")
    picture.text("0", x: left - 4, y: bottom, anchor: .end, size: 10, fill: "#333")
    let binWidth = counts.isEmpty ? 0 : (upper - lower) / Double(counts.count)
    for (i, count) in counts.enumerated() where count > 0 {
      let x1 = binWidth > 0 ? scale(lower + Double(i) * binWidth) : scale(lower) - 3
      let x2 = binWidth > 0 ? scale(lower + Double(i + 1) * binWidth) : scale(lower) + 3
      let h = (bottom - top) * Double(count) / Double(most)
      picture.rect(x: x1, y: bottom - h, width: max(x2 - x1 - 1, 1), height: h, fill: "#9a9a9a", stroke: "#333")
    }
    for tick in scale.ticks {
      picture.line(scale(tick), bottom, scale(tick), bottom + 4, stroke: "#333")
      picture.text(tickText(tick), x: scale(tick), y: bottom + 15, anchor: .middle, size: 9, fill: "#333")
    }
    for (i, mark) in marks.enumerated() where mark.value.isFinite {
      let x = scale(mark.value)
      picture.line(x, top - 6, x, bottom, stroke: "#000", width: 2, dash: i == 0 ? nil : "4,3")
      picture.text(mark.text, x: min(max(x, left + 40), right - 40), y: top - 10 - Double(i) * 11, anchor: .middle, size: 10, className: "mark")
    }
    picture.text("\(counts.reduce(0, +)) values; bins of \(short(binWidth))", x: left, y: height - 8, size: 10, fill: "#333")
    return picture.rendered
  }
}
