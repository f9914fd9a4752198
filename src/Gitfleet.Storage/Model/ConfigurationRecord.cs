namespace Gitfleet.Storage.Model;

/// <summary>deviceconfig: the configuration the server holds for a device, and the one the device reported.</summary>
public sealed record ConfigurationRecord
{
    public required string DeviceId { get; init; }

    public IReadOnlyDictionary<string, string>? Configured { get; init; }

    public DateTimeOffset? ConfiguredAt { get; init; }

    public IReadOnlyDictionary<string, string>? Reported { get; init; }

    public DateTimeOffset? ReportedAt { get; init; }

    public string? DeploymentId { get; init; }
}
