/// Thresholds of the decisions (MATH.md section 6), with their defaults.
public struct DecisionThresholds: Sendable {
  /// Smallest accuracy gain over the best unimodal model worth collecting
  /// multimodal data for (default 0.01 = one point of accuracy).
  public var minimumGain: Double
  /// Synergy lower bound (bits) above which interaction-capturing fusion
  /// is recommended (default 0.1 bits).
  public var highSynergy: Double
  /// Synergy upper bound (bits) below which simple early/late fusion
  /// suffices (default 0.05 bits).
  public var lowSynergy: Double

  public init(minimumGain: Double = 0.01, highSynergy: Double = 0.1, lowSynergy: Double = 0.05) {
    self.minimumGain = minimumGain
    self.highSynergy = highSynergy
    self.lowSynergy = lowSynergy
  }
}

/// What the numbers mean for data collection and model choice.
public struct Decision: Sendable, Equatable {
  /// `"yes"` when the multimodal accuracy lower bound beats the best
  /// unimodal accuracy by the minimum gain, `"no"` when even the upper
  /// bound does not, `"maybe"` otherwise.
  public var collectMultimodal: String
  /// `"interaction"` when the synergy lower bound is high, `"simple"` when
  /// the synergy upper bound is low, `"either"` otherwise.
  public var fusion: String
  /// One sentence a person can act on.
  public var reason: String

  public init(performance: PerformanceBounds, synergyLower: Double, synergyUpper: Double,
              thresholds: DecisionThresholds = DecisionThresholds()) {
    let best = max(performance.unimodal1, performance.unimodal2)
    let gainLow = performance.lowerUnclipped - best
    let gainHigh = performance.upper - best
    if gainLow >= thresholds.minimumGain {
      collectMultimodal = "yes"
    } else if gainHigh < thresholds.minimumGain {
      collectMultimodal = "no"
    } else {
      collectMultimodal = "maybe"
    }
    if synergyLower >= thresholds.highSynergy {
      fusion = "interaction"
    } else if synergyUpper <= thresholds.lowSynergy {
      fusion = "simple"
    } else {
      fusion = "either"
    }
    let percent = { (x: Double) in String(Int((x * 1000).rounded()) / 10) + "." + String(Int((x * 1000).rounded()) % 10) }
    let collect: String
    switch collectMultimodal {
    case "yes": collect = "a multimodal model is certain to gain at least \(percent(max(0, gainLow))) points of accuracy over the best unimodal one (\(percent(best))%)"
    case "no": collect = "no multimodal model can beat the best unimodal one (\(percent(best))%) by \(percent(thresholds.minimumGain)) points"
    default: collect = "a multimodal model may gain up to \(percent(max(0, gainHigh))) points of accuracy over the best unimodal one (\(percent(best))%), but the gain is not certain"
    }
    let fuse: String
    switch fusion {
    case "interaction": fuse = "synergy is at least the \(thresholds.highSynergy)-bit threshold, so use a fusion that captures interactions"
    case "simple": fuse = "synergy is at most the \(thresholds.lowSynergy)-bit threshold, so early or late fusion suffices"
    default: fuse = "the synergy bracket straddles the thresholds, so either kind of fusion may do"
    }
    reason = collect.prefix(1).uppercased() + collect.dropFirst() + "; " + fuse + "."
  }
}
