using System.Text.Json;
using System.Text.Json.Serialization;
using Gitfleet.Core.Planning;

namespace Gitfleet.Cli.Output;

/// <summary>The JSON documents commands write with --json (documented in docs/cli.md). Property names are snake_case.</summary>
internal static class CliJson
{
    /// <summary>Output for people and jq alike: indented, and '<', '>', '&amp;' and quotes not turned into \u escapes.</summary>
    public static readonly CliJsonContext Context = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static void Write<T>(CliConsole console, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        if (console.JsonStream is { } stream)
        {
            console.Json.Flush(); // What was written before comes first.
            JsonSerializer.Serialize(stream, value, type);
            stream.Write(System.Text.Encoding.UTF8.GetBytes(console.Json.NewLine));
            stream.Flush();
            return;
        }

        console.Json.WriteLine(JsonSerializer.Serialize(value, type));
        console.Json.Flush();
    }
}

internal sealed record DiagnosticJson(string Severity, string Code, string Message, string? File, int? Line, int? Column);

internal sealed record ValidateJson(string Repository, string Ref, string? Commit, bool Valid, int Errors, int Warnings, IReadOnlyList<DiagnosticJson> Diagnostics);

internal sealed record CommitJson(string Sha, string Author, string Subject, DateTimeOffset Timestamp);

internal sealed record PlanJson(
    string Repository, string Branch, CommitJson? Commit, PlanSummary Summary, IReadOnlyList<DevicePlan> Devices, IReadOnlyList<string> Notes,
    Gitfleet.Core.Delivery.TransferEstimate Transfer, IReadOnlyList<string> TransferWarnings)
{
    public ScheduleJson? Schedule { get; init; }
}

/// <summary>The plan's schedule with times as seconds from now (so the same plan prints the same schedule).</summary>
internal sealed record ScheduleJson(int Devices, double DeviceTimeSeconds, bool Paused, IReadOnlyList<WaveScheduleJson> Waves, IReadOnlyList<WindowScheduleJson> Windows, IReadOnlyList<string> Blackouts);

internal sealed record WaveScheduleJson(int Wave, int Devices, double StartSeconds, double EndSeconds);

/// <summary>Devices sharing a set of windows; <c>change_seconds</c>: when the windows close (open) or open (closed), null for never.</summary>
internal sealed record WindowScheduleJson(IReadOnlyList<string> Windows, int Devices, bool Open, double? ChangeSeconds);

internal sealed record SubmissionJson(string Commit, bool Unchanged);

internal sealed record OutcomeJson(string Device, string Action, bool Succeeded, string Message, string? DeploymentId);

internal sealed record ApplyJson(
    string Repository, string Branch, string Mode, string Protocol, CommitJson? Commit, PlanSummary Summary,
    IReadOnlyList<DevicePlan> Devices, SubmissionJson? Submission, IReadOnlyList<OutcomeJson> Outcomes, IReadOnlyList<string> MissingArtifacts,
    Gitfleet.Core.Delivery.TransferEstimate Transfer, IReadOnlyList<string> TransferWarnings);

[JsonSourceGenerationOptions(UseStringEnumConverter = true)]
[JsonSerializable(typeof(ValidateJson))]
[JsonSerializable(typeof(PlanJson))]
[JsonSerializable(typeof(ApplyJson))]
[JsonSerializable(typeof(Gitfleet.Git.PreparedRevert))]
internal sealed partial class CliJsonContext : JsonSerializerContext;
