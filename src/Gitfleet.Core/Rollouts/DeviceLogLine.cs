namespace Gitfleet.Core.Rollouts;

/// <summary>One line of a device's deployment log (level and message), as <see cref="FailureReason"/> reads it.</summary>
public sealed record DeviceLogLine(string? Level, string? Message);
