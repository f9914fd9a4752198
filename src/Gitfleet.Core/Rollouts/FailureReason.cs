using Gitfleet.Core.Facts;

namespace Gitfleet.Core.Rollouts;

/// <summary>Why a device's part of a deployment failed, in one line for `gitfleet status` ("how many failed, and why?").</summary>
public static class FailureReason
{
    private const int MaxLength = 400;

    public static string Describe(FailedPart part, string? deviceType, IReadOnlyList<DeviceLogLine>? log)
    {
        ArgumentNullException.ThrowIfNull(part);
        var what = part.Kind == DeploymentKind.Configuration ? $"configuration {part.ArtifactName}" : $"OS image {part.ArtifactName}";
        if (part.NoArtifact)
        {
            return $"{what}: {NoArtifactText} '{deviceType ?? "unknown"}' on the server";
        }

        var line = log is null ? null : LastErrorLine(log);
        var reason = line is null ? $"{what} failed {NoLog}" : $"{what} failed: {line}";
        return reason.Length <= MaxLength ? reason : reason[..(MaxLength - 1)] + "…";
    }

    /// <summary>The start of the reason of a device whose phase timed out (the planner's <see cref="PhaseTimeoutVerdict"/>).</summary>
    public const string TimedOutPrefix = "timed out:";

    /// <summary>
    /// How a failure counts for abort rules, from its reason: timed out; rejected (no artifact for the device's type,
    /// or the client refused the artifact's device type); else failed.
    /// </summary>
    public static Fleet.FailureKind KindOf(string? reason) =>
        reason is null ? Fleet.FailureKind.Failed
        : reason.StartsWith(TimedOutPrefix, StringComparison.Ordinal) ? Fleet.FailureKind.TimedOut
        : IsNoArtifact(reason) || reason.Contains("device type", StringComparison.OrdinalIgnoreCase)
            ? Fleet.FailureKind.Rejected
        : Fleet.FailureKind.Failed;

    /// <summary>Whether the reason says the server had no artifact for the device's type (<see cref="FailedPart.NoArtifact"/>).</summary>
    public static bool IsNoArtifact(string? reason) => reason is not null && reason.Contains(NoArtifactText, StringComparison.Ordinal);

    private const string NoArtifactText = "no artifact for device type";

    /// <summary>A reason given before the device's log arrived (the client sends it right after the failure status).</summary>
    public static bool AwaitsLog(string? reason) => reason is not null && reason.EndsWith(NoLog, StringComparison.Ordinal);

    private const string NoLog = "(the device sent no log)";

    private const string ModuleOutput = "Output (stderr) from command ";

    /// <summary>
    /// Why the deployment failed, in one line: when an update module failed, its own last error line before the
    /// client's first error (the client's "Update module terminated abnormally" says nothing); else the last
    /// error-level message of the log (the last message when none is an error).
    /// </summary>
    public static string? LastErrorLine(IReadOnlyList<DeviceLogLine> log)
    {
        ArgumentNullException.ThrowIfNull(log);
        string? last = null;
        string? lastError = null;
        string? moduleLine = null;
        string? moduleError = null;
        string? firstError = null;
        foreach (var message in log)
        {
            var value = message.Message?.Trim() ?? "";
            if (value.Length == 0)
            {
                continue;
            }

            last = value;
            var error = message.Level is "error" or "fatal" or "panic";
            if (error)
            {
                lastError = value;
                firstError ??= value;
            }
            else if (firstError is null && ModuleLines(value) is { Count: > 0 } lines)
            {
                moduleLine = lines[^1];
                moduleError = lines.LastOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? moduleError;
            }
        }

        var module = firstError is not null && firstError.Contains("module", StringComparison.OrdinalIgnoreCase) ? moduleError ?? moduleLine : null;
        return (module ?? lastError ?? last)?.ReplaceLineEndings(" ");
    }

    /// <summary>The non-empty lines a module printed, from the client's `Output (stderr) from command "…": …` message.</summary>
    private static List<string> ModuleLines(string message)
    {
        if (!message.StartsWith(ModuleOutput, StringComparison.Ordinal))
        {
            return [];
        }

        var start = message.IndexOf("\": ", StringComparison.Ordinal);
        return start < 0 ? [] : [.. message[(start + 3)..].Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
    }
}
