import RealModule

/// How much work the branch and bound of the sharp bound may do.
public struct SharpSearchBudget: Sendable, Equatable {
  /// Node LPs at most (the whole search, over all workers).
  public var nodes: Int
  /// Wall-clock seconds at most (checked between rounds, and between nodes
  /// once several workers share the search), or nil. A search with a time
  /// budget is valid, but on several workers its numbers depend on timing
  /// (`SharpBoundSearch.runShared`), and one stopped by time depends on the
  /// machine.
  public var seconds: Double?

  public init(nodes: Int, seconds: Double? = nil) {
    self.nodes = nodes
    self.seconds = seconds
  }
}

/// The result of the branch and bound for `min H_r(X1,X2,Y)` over Δ3, in
/// bits.
public struct SharpSearchOutcome: Sendable {
  /// Why the search ended.
  public enum Stop: String, Sendable {
    /// Certified gap at most `SharpBoundSearch.closingGap`.
    case closed
    /// The node budget ran out.
    case nodeBudget = "node budget"
    /// The time budget ran out.
    case timeBudget = "time budget"
    /// Every node was solved or set aside, but LP failures left nodes that
    /// could not be divided (their bounds keep the gap open).
    case unresolved = "unresolved nodes"
  }

  /// A certified lower bound on `min H` over Δ3 (valid whatever the
  /// floating-point accuracy of the LPs: see `SharpBoundSearch`).
  public var entropyLowerBound: Double
  /// `H` of `innerJoint`, at least `min H`.
  public var innerEntropy: Double
  /// The best member of Δ3 found (a vertex, nonnegative, pairwise marginals
  /// exact to rounding).
  public var innerJoint: [Double]
  /// Node LPs solved.
  public var nodes: Int
  public var stop: Stop
  /// Nodes whose LP failed and that could not be divided further: their
  /// valid bound stays in `entropyLowerBound`, which may then not close.
  public var unresolvedNodes: Int
  /// `innerEntropy - entropyLowerBound`, at least 0.
  public var gap: Double { max(0, innerEntropy - entropyLowerBound) }
}

/// Rectangular branch and bound (Falk and Soland 1969) for the smallest
/// joint entropy `min Σ_c f(r_c)`, `f(t) = -t log2 t`, over the polytope
/// Δ3 of joints with three given pairwise marginals.
///
/// Every node is a box `l_c <= r_c <= u_c` over the free cells. The root
/// box holds every member of Δ3: `u_c` is the smallest of the cell's three
/// pairwise masses and `l_c` its Fréchet lower bound, both then tightened
/// to the cell's range over Δ3 by LPs whose ends are certified like the
/// node bounds (for at most `rangeTighteningLimit` free cells). On a box `f` lies above its secant, and
/// the LP minimizing the sum of secants bounds `min H` on the node from
/// below. That LP's optimum is not trusted: from its row multipliers `y`
/// (any `y` would do) the bound used is the Lagrangian one
/// `b·y + Σ_c min(f(l_c) - (Aᵀy)_c l_c, f(u_c) - (Aᵀy)_c u_c)`, valid for
/// every `y` because `f(t) - a t` is concave and its minimum over an
/// interval is at an end; a rounding margin is subtracted from it. The
/// node's bound is the larger of that and `improvedGroupedBound`, which
/// keeps the rows of one pairwise marginal exact (each group's convex
/// envelope instead of per-cell secants). Before its LP a node's box is
/// shrunk through the rows (`propagate`); a node proven empty by that or by
/// the LP's infeasibility ray (Farkas) is dropped.
///
/// The LP point is repaired to a vertex of Δ3 (`MarginalPolytope.vertex(near:)`),
/// a feasible joint whose `H` is an inner value. The search divides the
/// node's cell with the largest `f - secant` gap at the LP point, at the LP
/// value (kept 1% of the interval away from its ends), best first. A node
/// whose LP point has no such gap but whose bound stays below the incumbent
/// (the LP meets its rows only to its tolerance), or whose LP failed, is
/// divided at the middle of the cell with the widest secant gap on its
/// interval. Before dividing, the node's multipliers cut from each cell's
/// interval the end piece where no joint can beat the incumbent (`reduce`);
/// what is cut enters the bound as the incumbent less `pruningGap`.
///
/// Work is spread over `Workers` in synchronized rounds: each round takes
/// the `batch` best open nodes (ties broken by creation order), worker `w`
/// solves those with `index % count == w`, every worker receives every
/// result and merges them in node order. The LPs are functions of the node
/// alone (its box and its parent's basis), so with a node budget the
/// numbers do not depend on the number of workers. With a time budget on
/// several workers the rounds end once every worker can have its own open
/// nodes, and the workers then share the search (`runShared`).
struct SharpBoundSearch {
  /// Gap (bits) at which the search counts as closed.
  static let closingGap = 1e-6
  /// Nodes whose bound is within this of the incumbent are not divided.
  static let pruningGap = 1e-7
  /// Nodes per round: fixed, so that the search does not depend on the
  /// number of workers.
  static let batch = 32
  /// Subgradient steps of the grouped bound per node.
  static let subgradientSteps = 20

  let polytope: MarginalPolytope
  /// Free cells, one LP column each.
  let variables: [Int]
  let constraints: EqualityConstraints
  let program: any LinearProgram
  /// The root box: every member of Δ3 lies in it.
  let rootLower: [Double]
  let rootUpper: [Double]
  /// The variables of each equality row (every coefficient is 1).
  let rowMembers: [[Int]]
  /// The pairwise marginal of each row: 0 `p(x1,x2)`, 1 `p(x1,y)`, 2 `p(x2,y)`.
  let rowFamily: [Int]
  /// The marginals whose rows `groupedBound` may keep exact.
  let groupFamilies: [Int]
  /// Largest number of variables for which the root box is tightened by
  /// LPs (two per variable).
  static let rangeTighteningLimit = 150

  init(polytope: MarginalPolytope, solver: any LinearProgramSolver) throws {
    self.polytope = polytope
    let n1 = polytope.n1, n2 = polytope.n2, k = polytope.k
    variables = polytope.free
    // Rows: p(x1,x2), p(x1,y), p(x2,y) entries that hold a free cell.
    let m = polytope.marginals
    func rowsOf(_ cell: Int) -> [Int] {
      let y = cell % k, b = (cell / k) % n2, a = cell / (n2 * k)
      return [a * n2 + b, n1 * n2 + a * k + y, n1 * n2 + n1 * k + b * k + y]
    }
    var used = [Int](repeating: -1, count: m.count)
    var rows = 0
    for cell in variables { for row in rowsOf(cell) where used[row] < 0 { used[row] = rows; rows += 1 } }
    var starts: [Int32] = [0], indices: [Int32] = [], values: [Double] = []
    var rhs = [Double](repeating: 0, count: rows)
    for row in used.indices where used[row] >= 0 { rhs[used[row]] = m[row] }
    var lower: [Double] = [], upper: [Double] = []
    for cell in variables {
      let marginalRows = rowsOf(cell)
      for row in marginalRows.map({ used[$0] }).sorted() { indices.append(Int32(row)); values.append(1) }
      starts.append(Int32(indices.count))
      upper.append(marginalRows.map { m[$0] }.min()!)
      // Fréchet: r(a,b,y) = p(a,b) - Σ_{y'≠y} r(a,b,y') >= p(a,b) - Σ_{y'≠y} p(a,y'),
      // and likewise with (b,y') and (a',b... ) sums; less a rounding margin.
      let y = cell % k, b = (cell / k) % n2, a = cell / (n2 * k)
      var others = [0.0, 0.0, 0.0], magnitude = m[a * n2 + b] + m[n1 * n2 + a * k + y]
      for y2 in 0..<k where y2 != y {
        others[0] += m[n1 * n2 + a * k + y2]
        others[1] += m[n1 * n2 + n1 * k + b * k + y2]
      }
      for a2 in 0..<n1 where a2 != a { others[2] += m[n1 * n2 + a2 * k + y] }
      magnitude += others.reduce(0, +) + m[n1 * n2 + n1 * k + b * k + y]
      let frechet = [m[a * n2 + b] - others[0], m[a * n2 + b] - others[1], m[n1 * n2 + n1 * k + b * k + y] - others[2]].max()!
      lower.append(max(0, frechet - Self.roundingMargin(terms: n1 + n2 + 2 * k, magnitude: magnitude)))
    }
    var members = [[Int]](repeating: [], count: rows), family = [Int](repeating: 0, count: rows)
    for row in used.indices where used[row] >= 0 { family[used[row]] = row < n1 * n2 ? 0 : row < n1 * n2 + n1 * k ? 1 : 2 }
    for j in variables.indices {
      for e in Int(starts[j])..<Int(starts[j + 1]) { members[Int(indices[e])].append(j) }
    }
    rowMembers = members
    rowFamily = family
    groupFamilies = Self.groupFamilies(rowMembers: members, rowFamily: family)
    constraints = EqualityConstraints(
      rows: rows, columns: variables.count, columnStarts: starts, rowIndices: indices, values: values, rightHandSide: rhs)
    program = try solver.program(constraints)
    if variables.count <= Self.rangeTighteningLimit {
      (lower, upper) = Self.tightened(lower: lower, upper: upper, program: program, constraints: constraints)
    }
    rootLower = lower
    rootUpper = upper
  }

  /// The box tightened to each variable's range over Δ3, by two LPs per
  /// variable; each new end is certified by the Lagrangian bound of its
  /// LP's multipliers (valid for any multipliers), so no member of Δ3
  /// leaves the box.
  static func tightened(lower: [Double], upper: [Double], program: any LinearProgram, constraints: EqualityConstraints) -> ([Double], [Double]) {
    var newLower = lower, newUpper = upper
    let n = lower.count
    var warm: [UInt8]? = nil
    for j in 0..<n where upper[j] > lower[j] {
      for sign in [1.0, -1.0] {
        var c = [Double](repeating: 0, count: n)
        c[j] = sign
        let result = program.solve(objective: c, lower: lower, upper: upper, warmStart: warm)
        guard result.status == .optimal, !result.dualIsRay else { continue }
        warm = result.basis
        // min c·x >= b·y + Σ_i min over [l_i, u_i] of (c_i - (Aᵀy)_i) x_i.
        let a = constraints.transposeProduct(result.dual)
        var sum = 0.0, magnitude = 0.0
        for (bi, yi) in zip(constraints.rightHandSide, result.dual) { sum += bi * yi; magnitude += abs(bi * yi) }
        for i in 0..<n {
          let d = c[i] - a[i]
          sum += min(d * lower[i], d * upper[i])
          magnitude += abs(d * lower[i]) + abs(d * upper[i])
        }
        let bound = sum - roundingMargin(terms: constraints.rows + 2 * n, magnitude: magnitude)
        guard bound.isFinite else { continue }
        if sign > 0 { newLower[j] = max(newLower[j], bound) } else { newUpper[j] = min(newUpper[j], -bound) }
      }
      if newLower[j] > newUpper[j] { (newLower[j], newUpper[j]) = (lower[j], upper[j]) }
    }
    return (newLower, newUpper)
  }

  /// The largest `f(t) - s(t)` over `[l, u]`, `s` the secant of `f` on
  /// `[l, u]` (reached where `f'(t)` equals the secant's slope).
  static func largestSecantGap(lower l: Double, upper u: Double) -> Double {
    guard u > l else { return 0 }
    let slope = (f(u) - f(l)) / (u - l)
    // f'(t) = -log2(t) - log2(e).
    let t = min(max(Double.exp2(-slope - 1 / Double.log(2)), l), u)
    return max(0, f(t) - (f(l) + slope * (t - l)))
  }

  /// `-t log2 t`, 0 at 0.
  static func f(_ t: Double) -> Double { t > 0 ? -t * Double.log2(t) : 0 }

  /// A node: the root box with `changes` applied in order.
  struct Node {
    var bound: Double
    var id: Int
    var changes: [(variable: Int32, lower: Double, upper: Double)]
    var warmStart: [UInt8]?
  }

  /// What solving a node gave.
  struct Record {
    enum Kind: Int { case branch = 0, leaf = 1, empty = 2, unresolved = 3 }
    var kind: Kind
    var bound: Double
    var variable: Int
    var value: Double
    var innerEntropy: Double
    var basis: [UInt8]
    var innerJoint: [Double]
    /// The node's box less the parts where no joint beats the incumbent
    /// (the children's box), and the smallest `H` there can be in the
    /// parts cut off (+∞ when nothing was cut).
    var lower: [Double]
    var upper: [Double]
    var cutFloor: Double
  }

  func box(_ node: Node) -> (lower: [Double], upper: [Double]) {
    var lower = rootLower, upper = rootUpper
    for change in node.changes {
      lower[Int(change.variable)] = change.lower
      upper[Int(change.variable)] = change.upper
    }
    return (lower, upper)
  }

  /// The Lagrangian bound for multipliers `y` on the box, minus a rounding
  /// margin (bits).
  func lagrangianBound(_ y: [Double], lower: [Double], upper: [Double]) -> Double {
    let a = constraints.transposeProduct(y)
    var sum = 0.0, magnitude = 0.0
    for (bi, yi) in zip(constraints.rightHandSide, y) { sum += bi * yi; magnitude += abs(bi * yi) }
    for j in 0..<variables.count {
      let atLower = Self.f(lower[j]) - a[j] * lower[j]
      let atUpper = Self.f(upper[j]) - a[j] * upper[j]
      sum += min(atLower, atUpper)
      magnitude += abs(Self.f(lower[j])) + abs(a[j] * lower[j]) + abs(Self.f(upper[j])) + abs(a[j] * upper[j])
    }
    guard sum.isFinite else { return -.infinity }
    return sum - Self.roundingMargin(terms: constraints.rows + 2 * variables.count, magnitude: magnitude)
  }

  /// Whether the ray `y` (either sign) proves the box holds no member of
  /// Δ3: `b·y > max over the box of (Aᵀy)·x` by more than rounding.
  func provesEmpty(_ y: [Double], lower: [Double], upper: [Double]) -> Bool {
    let a = constraints.transposeProduct(y)
    let by = zip(constraints.rightHandSide, y).reduce(0) { $0 + $1.0 * $1.1 }
    var largest = 0.0, smallest = 0.0, magnitude = abs(by)
    for j in 0..<variables.count {
      largest += max(a[j] * lower[j], a[j] * upper[j])
      smallest += min(a[j] * lower[j], a[j] * upper[j])
      magnitude += abs(a[j] * lower[j]) + abs(a[j] * upper[j])
    }
    let margin = Self.roundingMargin(terms: constraints.rows + 2 * variables.count, magnitude: magnitude)
    return by - largest > margin || smallest - by > margin
  }

  /// A bound on the rounding error of a sum of `terms` floating-point
  /// products and logarithms whose magnitudes add up to `magnitude`.
  static func roundingMargin(terms: Int, magnitude: Double) -> Double {
    Double(terms + 8) * 4 * Double.ulpOfOne * magnitude + 1e-15
  }

  /// Solves one node: a function of the node and `incumbent` (the best
  /// `H` known when its round began) alone.
  func evaluate(_ node: Node, incumbent: Double) -> Record {
    var (lower, upper) = box(node)
    if propagate(lower: &lower, upper: &upper) == .empty {
      return Record(kind: .empty, bound: .infinity, variable: -1, value: 0, innerEntropy: .infinity,
                    basis: node.warmStart ?? [], innerJoint: [], lower: lower, upper: upper, cutFloor: .infinity)
    }
    var slope = [Double](repeating: 0, count: variables.count)
    for j in slope.indices where upper[j] - lower[j] > 0 {
      slope[j] = (Self.f(upper[j]) - Self.f(lower[j])) / (upper[j] - lower[j])
    }
    let result = program.solve(objective: slope, lower: lower, upper: upper, warmStart: node.warmStart)
    var record = Record(kind: .unresolved, bound: -.infinity, variable: -1, value: 0, innerEntropy: .infinity,
                        basis: result.basis, innerJoint: [], lower: lower, upper: upper, cutFloor: .infinity)
    if result.status == .infeasible, result.dualIsRay {
      if provesEmpty(result.dual, lower: lower, upper: upper) {
        record.kind = .empty
        record.bound = .infinity
        return record
      }
    }
    // Any multipliers give a valid bound; y = 0 gives Σ min(f(l), f(u)).
    record.bound = result.dualIsRay ? -.infinity : lagrangianBound(result.dual, lower: lower, upper: upper)
    record.bound = max(record.bound, lagrangianBound([Double](repeating: 0, count: constraints.rows), lower: lower, upper: upper))
    guard result.status == .optimal, result.primal.allSatisfy(\.isFinite) else {
      // The LP failed (typically on a box too thin for its tolerances):
      // divide at the middle of the cell with the widest secant gap, so
      // that the children's bounds (at worst those of `y = 0`) close in.
      var widest = 1e-12
      for j in variables.indices where upper[j] > lower[j] {
        let gap = Self.largestSecantGap(lower: lower[j], upper: upper[j])
        if gap > widest { widest = gap; record.variable = j; record.value = (lower[j] + upper[j]) / 2 }
      }
      if record.variable >= 0 && record.bound < incumbent - Self.pruningGap { record.kind = .branch }
      return record
    }
    // The cell whose function lies farthest above its secant at the LP point.
    var largest = 0.0
    for j in variables.indices where upper[j] > lower[j] {
      let x = min(max(result.primal[j], lower[j]), upper[j])
      let gap = Self.f(x) - (Self.f(lower[j]) + slope[j] * (x - lower[j]))
      if gap > largest { largest = gap; record.variable = j; record.value = x }
    }
    var joint = [Double](repeating: 0, count: polytope.cells)
    for (j, cell) in variables.enumerated() { joint[cell] = max(0, result.primal[j]) }
    if let vertex = polytope.vertex(near: joint) {
      record.innerEntropy = vertex.entropy
      record.innerJoint = vertex.joint
    }
    // The bound with one marginal's rows kept exact, from the LP's
    // multipliers and a few subgradient steps.
    let target = min(incumbent, record.innerEntropy)
    if !result.dualIsRay, record.bound < target - Self.pruningGap {
      record.bound = max(record.bound, improvedGroupedBound(result.dual, lower: lower, upper: upper, target: target, steps: Self.subgradientSteps))
    }
    if largest <= 1e-12 {
      // The LP point lies at ends of its intervals, so the LP value is H
      // there; but the LP meets the rows only to its tolerance, and its
      // bound can stay below the incumbent. Such a node is divided at the
      // middle of the cell whose secant is farthest below f anywhere on
      // its interval, until the intervals are too small to matter.
      let threshold = min(incumbent, record.innerEntropy) - Self.pruningGap
      var widest = 1e-12
      if record.bound < threshold {
        for j in variables.indices where upper[j] > lower[j] {
          let gap = Self.largestSecantGap(lower: lower[j], upper: upper[j])
          if gap > widest { widest = gap; record.variable = j; record.value = (lower[j] + upper[j]) / 2 }
        }
      }
      if widest <= 1e-12 {
        record.kind = .leaf
        return record
      }
    }
    record.kind = .branch
    let threshold = min(incumbent, record.innerEntropy) - Self.pruningGap
    if record.bound < threshold {
      reduce(&record, multipliers: result.dual, threshold: threshold)
    }
    let j = record.variable, l = record.lower[j], u = record.upper[j], width = u - l
    guard width > 0 else {
      // The cut fixed the branching cell: the children are the reduced box.
      record.value = l
      return record
    }
    record.value = min(max(record.value, l + 0.01 * width), u - 0.01 * width)
    return record
  }

  /// Cuts from the box of `record` the values of each cell at which no
  /// joint of the box has `H` below `threshold`.
  ///
  /// With `g_j(t) = f(t) - (Aᵀy)_j t` (concave) and `m_j` its smaller end
  /// value, every `x` of the box has `H(x) >= b·y + Σ_{i≠j} m_i + g_j(x_j)`;
  /// where that exceeds `threshold`, `x_j` is cut. The set `{g_j > τ}` is
  /// an interval (concavity), so a cut is an end piece of `[l_j, u_j]`,
  /// found by bisection with its new end still inside `{g_j > τ}`.
  func reduce(_ record: inout Record, multipliers y: [Double], threshold: Double) {
    let a = constraints.transposeProduct(y)
    var raw = 0.0, magnitude = 0.0
    for (bi, yi) in zip(constraints.rightHandSide, y) { raw += bi * yi; magnitude += abs(bi * yi) }
    let n = variables.count
    var m = [Double](repeating: 0, count: n)
    for j in 0..<n {
      let l = record.lower[j], u = record.upper[j]
      m[j] = min(Self.f(l) - a[j] * l, Self.f(u) - a[j] * u)
      raw += m[j]
      magnitude += abs(Self.f(l)) + abs(a[j] * l) + abs(Self.f(u)) + abs(a[j] * u)
    }
    guard raw.isFinite else { return }
    let margin = Self.roundingMargin(terms: constraints.rows + 2 * n + 4, magnitude: magnitude)
    for j in 0..<n {
      var l = record.lower[j], u = record.upper[j]
      guard u > l else { continue }
      let tau = threshold - (raw - m[j]) + margin
      func g(_ t: Double) -> Double { Self.f(t) - a[j] * t }
      let gl = g(l), gu = g(u)
      if gl > tau && gu > tau { continue }  // the whole node is above: left to the bound
      if gl > tau || gu > tau {
        // Bisection between the low end (g <= τ) and the high end (g > τ),
        // keeping `high` where g > τ.
        var low = gl > tau ? u : l, high = gl > tau ? l : u
        for _ in 0..<60 {
          let mid = (low + high) / 2
          if mid == low || mid == high { break }
          if g(mid) > tau { high = mid } else { low = mid }
        }
        if gl > tau { l = high } else { u = high }
        if l > u { continue }
        record.lower[j] = l
        record.upper[j] = u
        record.cutFloor = threshold
      }
    }
  }

  /// Runs the search from an incumbent member of Δ3.
  ///
  /// With a node budget alone (or one worker) the search runs in
  /// synchronized rounds and its numbers do not depend on the number of
  /// workers. With a time budget on several workers it runs in rounds only
  /// until every worker can have its own share of the open nodes, then
  /// shares them (`runShared`): valid, but its numbers depend on timing.
  ///
  /// - Parameters:
  ///   - start: a member of Δ3 (its `H` is the first incumbent).
  ///   - workers: every worker makes this call; all get the same outcome.
  func run(start: [Double], budget: SharpSearchBudget, workers: any Workers) -> SharpSearchOutcome {
    let clock = SearchClock(budget: budget)
    var frontier = Frontier(incumbent: (entropy(start), start))
    frontier.open.push(Node(bound: -.infinity, id: 0, changes: [], warmStart: nil))
    let sharing = workers.count > 1 && budget.seconds != nil
    var timeUp = false
    let recordLength = 6 + 2 * variables.count + constraints.rows + variables.count + polytope.cells
    while true {
      frontier.setAsideNearIncumbent()
      if frontier.isFinished(budget: budget) || timeUp { break }
      if sharing && frontier.open.count >= Self.shareStart * workers.count {
        return runShared(frontier, budget: budget, clock: clock, workers: workers)
      }
      var batch: [Node] = []
      while batch.count < min(Self.batch, budget.nodes - frontier.solved), let node = frontier.open.pop() { batch.append(node) }

      // This worker's nodes, encoded as numbers.
      var mine: [Double] = []
      for (index, node) in batch.enumerated() where workers.owns(index) {
        mine += encode(evaluate(node, incumbent: frontier.incumbent.entropy))
      }
      mine.append(clock.isUp ? 1 : 0)
      let all = workers.allGather(mine)
      timeUp = all[0].last == 1
      var offsets = [Int](repeating: 0, count: all.count)
      var records: [Record] = []
      for index in batch.indices {
        let w = index % all.count
        records.append(decode(Array(all[w][offsets[w]..<(offsets[w] + recordLength)])))
        offsets[w] += recordLength
      }
      frontier.solved += batch.count
      for record in records where record.innerEntropy < frontier.incumbent.entropy {
        frontier.incumbent = (record.innerEntropy, record.innerJoint)
      }
      for (node, record) in zip(batch, records) { frontier.absorb(node, record, search: self) }
    }
    return frontier.outcome(budget: budget)
  }

  /// Open nodes per worker from which `run` shares them out.
  static let shareStart = 8

  /// Wall-clock budget of one search.
  struct SearchClock {
    let began = ContinuousClock.now
    let budget: SharpSearchBudget
    var seconds: Double {
      let elapsed = ContinuousClock.now - began
      return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
    var isUp: Bool { budget.seconds.map { seconds >= $0 } ?? false }
  }

  /// The state of a search on one worker: its open nodes, the smallest
  /// bound of the nodes it set aside, the best member of Δ3 it knows.
  struct Frontier {
    var open = NodeHeap()
    /// Smallest bound of the nodes set aside (leaves, pruned, cut pieces).
    var floor = Double.infinity
    var incumbent: (entropy: Double, joint: [Double])
    var solved = 0, unresolved = 0
    /// Identifier of the next node, and the step between this worker's
    /// identifiers (unique over workers when they share).
    var nextID = 1, idStride = 1

    init(incumbent: (entropy: Double, joint: [Double])) { self.incumbent = incumbent }

    /// The certified lower bound on `min H` over this worker's part.
    var lowerBound: Double { min(open.top?.bound ?? .infinity, floor) }

    /// Sets aside every open node when the best is within `pruningGap` of
    /// the incumbent.
    mutating func setAsideNearIncumbent() {
      if let top = open.top, top.bound >= incumbent.entropy - SharpBoundSearch.pruningGap {
        floor = min(floor, top.bound)
        open.removeAll()
      }
    }

    func isFinished(budget: SharpSearchBudget) -> Bool {
      open.isEmpty || incumbent.entropy - lowerBound <= SharpBoundSearch.closingGap || solved >= budget.nodes
    }

    /// Takes in what solving `node` gave: sets it aside or adds its
    /// children.
    mutating func absorb(_ node: Node, _ record: Record, search: SharpBoundSearch) {
      let bound = max(node.bound, record.bound)
      floor = min(floor, record.cutFloor)
      switch record.kind {
      case .empty: return
      case .unresolved:
        unresolved += 1
        floor = min(floor, bound)
      case .leaf:
        floor = min(floor, bound)
      case .branch:
        if bound >= incumbent.entropy - SharpBoundSearch.pruningGap {
          floor = min(floor, bound)
          return
        }
        let j = record.variable
        let pieces = record.upper[j] > record.lower[j]
          ? [(record.lower[j], record.value), (record.value, record.upper[j])] : [(record.lower[j], record.upper[j])]
        for (l, u) in pieces {
          var lower = record.lower, upper = record.upper
          (lower[j], upper[j]) = (l, u)
          open.push(Node(bound: bound, id: nextID, changes: search.changes(lower: lower, upper: upper), warmStart: record.basis))
          nextID += idStride
        }
      }
    }

    func outcome(budget: SharpSearchBudget) -> SharpSearchOutcome {
      let closed = incumbent.entropy - lowerBound <= SharpBoundSearch.closingGap
      let stop: SharpSearchOutcome.Stop =
        closed ? .closed : open.isEmpty ? .unresolved : solved >= budget.nodes ? .nodeBudget : .timeBudget
      return SharpSearchOutcome(
        entropyLowerBound: lowerBound, innerEntropy: incumbent.entropy, innerJoint: incumbent.joint, nodes: solved,
        stop: stop, unresolvedNodes: unresolved)
    }
  }

  /// The variables whose bounds differ from the root's, as node changes.
  func changes(lower: [Double], upper: [Double]) -> [(variable: Int32, lower: Double, upper: Double)] {
    variables.indices.compactMap { j in
      lower[j] != rootLower[j] || upper[j] != rootUpper[j] ? (Int32(j), lower[j], upper[j]) : nil
    }
  }

  func encode(_ r: Record) -> [Double] {
    var out: [Double] = [Double(r.kind.rawValue), r.bound, Double(r.variable), r.value, r.innerEntropy, r.cutFloor]
    out += r.lower + r.upper
    var basis = r.basis.map(Double.init)
    basis += [Double](repeating: 0, count: constraints.rows + variables.count - basis.count)
    out += basis
    out += r.innerJoint.isEmpty ? [Double](repeating: .nan, count: polytope.cells) : r.innerJoint
    return out
  }

  func decode(_ v: [Double]) -> Record {
    let n = variables.count
    let a = 6 + 2 * n, b = a + constraints.rows + n
    let joint = Array(v[b...])
    return Record(
      kind: Record.Kind(rawValue: Int(v[0]))!, bound: v[1], variable: Int(v[2]), value: v[3], innerEntropy: v[4],
      basis: v[a..<b].map { UInt8($0) }, innerJoint: joint.first.map { $0.isNaN } == true ? [] : joint,
      lower: Array(v[6..<(6 + n)]), upper: Array(v[(6 + n)..<a]), cutFloor: v[5])
  }
}

/// Open nodes, smallest `(bound, id)` first.
struct NodeHeap {
  private var items: [SharpBoundSearch.Node] = []
  var isEmpty: Bool { items.isEmpty }
  var count: Int { items.count }
  var top: SharpBoundSearch.Node? { items.first }

  private static func less(_ a: SharpBoundSearch.Node, _ b: SharpBoundSearch.Node) -> Bool {
    a.bound < b.bound || (a.bound == b.bound && a.id < b.id)
  }

  mutating func removeAll() { items.removeAll() }

  mutating func push(_ node: SharpBoundSearch.Node) {
    items.append(node)
    var i = items.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      guard Self.less(items[i], items[parent]) else { break }
      items.swapAt(i, parent)
      i = parent
    }
  }

  mutating func pop() -> SharpBoundSearch.Node? {
    guard !items.isEmpty else { return nil }
    items.swapAt(0, items.count - 1)
    let node = items.removeLast()
    var i = 0
    while true {
      let l = 2 * i + 1, r = l + 1
      var smallest = i
      if l < items.count && Self.less(items[l], items[smallest]) { smallest = l }
      if r < items.count && Self.less(items[r], items[smallest]) { smallest = r }
      guard smallest != i else { break }
      items.swapAt(i, smallest)
      i = smallest
    }
    return node
  }
}
