extension SharpBoundSearch {
  /// Seconds each worker searches alone between two exchanges of
  /// `runShared`.
  static let shareInterval = 0.1
  /// Most open nodes one worker hands another at an exchange.
  static let largestDonation = 512

  /// The search with its open nodes shared among the workers: each worker
  /// searches its own nodes best first, and every `shareInterval` seconds
  /// the workers exchange their incumbents, bounds and node counts, and a
  /// worker with fewer than half the open nodes of another receives up to
  /// `largestDonation` of them (every other one of the giver's best); a
  /// worker whose own part is closed counts as having none.
  ///
  /// No node is lost or duplicated, so the bound (the smallest over the
  /// workers) is as certified as in `run`; the numbers depend on how fast
  /// each worker went, which is why `run` uses this only with a time
  /// budget. The node budget is checked at the exchanges and split evenly
  /// between them, so it can be overrun by less than one interval's work.
  ///
  /// - Parameter start: the state after the synchronized rounds, the same
  ///   on every worker; each worker keeps every `count`-th of its open
  ///   nodes in `(bound, id)` order.
  func runShared(_ start: Frontier, budget: SharpSearchBudget, clock: SearchClock, workers: any Workers) -> SharpSearchOutcome {
    let count = workers.count, me = workers.index
    var frontier = start
    var ordered: [Node] = []
    while let node = frontier.open.pop() { ordered.append(node) }
    for (position, node) in ordered.enumerated() where position % count == me { frontier.open.push(node) }
    let solvedBefore = start.solved, unresolvedBefore = start.unresolved
    (frontier.solved, frontier.unresolved) = (0, 0)
    (frontier.nextID, frontier.idStride) = (start.nextID + me, count)
    var totalSolved = solvedBefore
    let began = clock.seconds
    var exchange = 1
    while true {
      // Alone until the exchange is due.
      let due = began + Double(exchange) * Self.shareInterval
      let allowance = (budget.nodes - totalSolved + count - 1) / count
      var solvedHere = 0
      while solvedHere < allowance, clock.seconds < due, !clock.isUp {
        frontier.setAsideNearIncumbent()
        if frontier.incumbent.entropy - frontier.lowerBound <= Self.closingGap { break }
        guard let node = frontier.open.pop() else { break }
        let record = evaluate(node, incumbent: frontier.incumbent.entropy)
        frontier.solved += 1
        solvedHere += 1
        if record.innerEntropy < frontier.incumbent.entropy { frontier.incumbent = (record.innerEntropy, record.innerJoint) }
        frontier.absorb(node, record, search: self)
      }
      frontier.setAsideNearIncumbent()

      // Exchange: incumbent, bound, open nodes, nodes solved, unresolved,
      // time, open nodes still worth dividing (none once this worker's
      // own part is closed), then the incumbent joint.
      let closedHere = frontier.incumbent.entropy - frontier.lowerBound <= Self.closingGap
      let summary = [frontier.incumbent.entropy, frontier.lowerBound, Double(frontier.open.count), Double(frontier.solved),
                     Double(frontier.unresolved), clock.isUp ? 1 : 0, closedHere ? 0 : Double(frontier.open.count)]
        + frontier.incumbent.joint
      let summaries = workers.allGather(summary)
      var best = 0
      for w in 1..<count where summaries[w][0] < summaries[best][0] { best = w }
      if summaries[best][0] < frontier.incumbent.entropy {
        frontier.incumbent = (summaries[best][0], Array(summaries[best][7...]))
      }
      let lowerBound = summaries.map { $0[1] }.min()!
      let openCounts = summaries.map { Int($0[2]) }
      totalSolved = solvedBefore + summaries.reduce(0) { $0 + Int($1[3]) }
      let closed = frontier.incumbent.entropy - lowerBound <= Self.closingGap
      let exhausted = openCounts.allSatisfy { $0 == 0 }
      let timeUp = summaries.contains { $0[5] == 1 }
      if closed || exhausted || timeUp || totalSolved >= budget.nodes {
        let stop: SharpSearchOutcome.Stop =
          closed ? .closed : exhausted ? .unresolved : totalSolved >= budget.nodes ? .nodeBudget : .timeBudget
        return SharpSearchOutcome(
          entropyLowerBound: lowerBound, innerEntropy: frontier.incumbent.entropy, innerJoint: frontier.incumbent.joint,
          nodes: totalSolved, stop: stop,
          unresolvedNodes: unresolvedBefore + summaries.reduce(0) { $0 + Int($1[4]) })
      }

      // Donations: the i-th poorest worker (in nodes worth dividing) from
      // the i-th richest.
      let useful = summaries.map { Int($0[6]) }
      let order = (0..<count).sorted { (useful[$0], $0) < (useful[$1], $1) }
      var donations: [(giver: Int, receiver: Int, amount: Int)] = []
      for i in 0..<(count / 2) {
        let poor = order[i], rich = order[count - 1 - i]
        let amount = min(Self.largestDonation, (useful[rich] - useful[poor]) / 2)
        if 2 * useful[poor] < useful[rich], amount > 0 { donations.append((rich, poor, amount)) }
      }
      if !donations.isEmpty {
        var message: [Double] = []
        if let mine = donations.first(where: { $0.giver == me }) {
          var taken: [Node] = []
          while taken.count < 2 * mine.amount, let node = frontier.open.pop() { taken.append(node) }
          message.append(Double(mine.receiver))
          for (position, node) in taken.enumerated() {
            if position % 2 == 1 { message += encode(node) } else { frontier.open.push(node) }
          }
        }
        for received in workers.allGather(message) where received.first.map({ Int($0) }) == me {
          var offset = 1
          while offset < received.count {
            let (node, next) = decodeNode(received, at: offset)
            frontier.open.push(node)
            offset = next
          }
        }
      }
      exchange += 1
    }
  }

  /// A node as numbers: bound, identifier, the changes (count, then
  /// variable, lower, upper each), the warm-start basis (count, then its
  /// entries).
  func encode(_ node: Node) -> [Double] {
    var out = [node.bound, Double(node.id), Double(node.changes.count)]
    for change in node.changes { out += [Double(change.variable), change.lower, change.upper] }
    let basis = node.warmStart ?? []
    out.append(node.warmStart == nil ? -1 : Double(basis.count))
    out += basis.map(Double.init)
    return out
  }

  /// The node encoded at `offset` of `values`, and the offset after it.
  func decodeNode(_ values: [Double], at offset: Int) -> (Node, Int) {
    var i = offset
    let bound = values[i], id = Int(values[i + 1]), changeCount = Int(values[i + 2])
    i += 3
    var changes: [(variable: Int32, lower: Double, upper: Double)] = []
    for _ in 0..<changeCount {
      changes.append((Int32(values[i]), values[i + 1], values[i + 2]))
      i += 3
    }
    let basisCount = Int(values[i])
    i += 1
    var warmStart: [UInt8]? = nil
    if basisCount >= 0 {
      warmStart = values[i..<(i + basisCount)].map { UInt8($0) }
      i += basisCount
    }
    return (Node(bound: bound, id: id, changes: changes, warmStart: warmStart), i)
  }
}
