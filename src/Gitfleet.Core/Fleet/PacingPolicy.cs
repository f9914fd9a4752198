namespace Gitfleet.Core.Fleet;

/// <summary>
/// At most <see cref="PerMinute"/> devices started per minute, on top of <c>maxConcurrent</c>, so a rollout
/// does not flood the backend or a cell. With a <see cref="Ramp"/> the rate grows exponentially with successes,
/// as AWS IoT Jobs' exponential rollout rate does.
/// </summary>
public sealed record PacingPolicy(int PerMinute)
{
    public PacingRamp? Ramp { get; init; }
}

/// <summary>After every <see cref="Every"/> successes the rate is multiplied by <see cref="Factor"/>, up to <see cref="MaxPerMinute"/>.</summary>
public sealed record PacingRamp(double Factor, int Every)
{
    public int? MaxPerMinute { get; init; }
}
