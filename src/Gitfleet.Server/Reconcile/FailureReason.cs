using System.Text.Json;
using Gitfleet.Storage.Model;

namespace Gitfleet.Server.Reconcile;

/// <summary>Why a device's part of a deployment failed, in one line for `gitfleet status` ("how many failed, and why?").</summary>
internal static class FailureReason
{
    private const int MaxLength = 400;

    public static string Describe(DevicePartOutcome part, string? deviceType, string? logJson)
    {
        ArgumentNullException.ThrowIfNull(part);
        var what = part.Kind == DeploymentKinds.Configuration ? $"configuration {part.ArtifactName}" : $"OS image {part.ArtifactName}";
        if (part.Status == DeviceDeploymentStatus.NoArtifact)
        {
            return $"{what}: no artifact for device type '{deviceType ?? "unknown"}' on the server";
        }

        var line = logJson is null ? null : LastErrorLine(logJson);
        var reason = line is null ? $"{what} failed (the device sent no log)" : $"{what} failed: {line}";
        return reason.Length <= MaxLength ? reason : reason[..(MaxLength - 1)] + "…";
    }

    /// <summary>The last error-level message of a deployment log (the last message when none is an error).</summary>
    public static string? LastErrorLine(string logJson)
    {
        try
        {
            using var document = JsonDocument.Parse(logJson);
            string? last = null;
            string? lastError = null;
            foreach (var message in document.RootElement.EnumerateArray())
            {
                if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("message", out var text) || text.ValueKind != JsonValueKind.String)
                {
                    continue;
                }

                var value = text.GetString()!.Trim();
                if (value.Length == 0)
                {
                    continue;
                }

                last = value;
                if (message.TryGetProperty("level", out var level) && level.ValueKind == JsonValueKind.String
                    && level.GetString() is "error" or "fatal" or "panic")
                {
                    lastError = value;
                }
            }

            return (lastError ?? last)?.ReplaceLineEndings(" ");
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
