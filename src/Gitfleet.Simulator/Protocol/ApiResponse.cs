namespace Gitfleet.Simulator.Protocol;

/// <summary>An answer from the server, or a network failure (<see cref="Status"/> 0, <see cref="Error"/> says why).</summary>
public readonly record struct ApiResponse(int Status, string? Body = null, string? Error = null, TimeSpan Delay = default)
{
    public bool NetworkFailure => Status == 0;

    /// <summary>Not sent yet: a slow network holds it back for <see cref="Delay"/>.</summary>
    public bool Deferred => Status == -1;

    public bool Ok => Status is >= 200 and < 300;

    public static ApiResponse Failed(string error) => new(0, null, error);

    public static ApiResponse DeferredBy(TimeSpan delay) => new(-1, null, "slow network", delay);

    public override string ToString() => Status switch
    {
        0 => $"network error: {Error}",
        -1 => $"deferred {Delay.TotalSeconds:F1} s (slow network)",
        _ => $"HTTP {Status}",
    };
}
